import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser, REPO_ROOT, type Stack, skipWithoutBrowser, spawnStack } from '../helpers/browser.js';
import { sharedImagePath } from '../helpers/images.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'web');
const TEST_TIMEOUT_MS = 90_000;

describe('the live preview strip, against the running local stack', { skip: skipWithoutBrowser }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs'], { cwd: REPO_ROOT });
    await mkdir(ARTIFACTS, { recursive: true });
    stack = await spawnStack({ env: { WORKER_PROCESSES: '1' } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows variants of the chosen image and re-renders them as the sliders move', {
    timeout: TEST_TIMEOUT_MS,
  }, async () => {
    // Prepare
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const previews: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/preview')) previews.push(request.method());
    });
    await page.goto(stack.url);
    await page.locator('#preset option[value="delta-classic"]').waitFor({ state: 'attached' });
    const renders = () => page.locator('#preview-images').getAttribute('data-renders').then(Number);

    // Act: choose an image
    await page.setInputFiles('#file-input', sharedImagePath('ladybird.jpg'));
    await page.locator('#preview-images[data-renders="1"] figure.preview-variant img').first().waitFor();
    const first = await page.locator('#preview-images img').evaluateAll((images) =>
      images.map((img) => ({
        src: (img as HTMLImageElement).src,
        loaded: (img as HTMLImageElement).naturalWidth > 0,
      })),
    );
    // Act: customise, turn noise on at 100 % and move its slider
    await page.check('#customise');
    await page.check('#op-noise');
    await page.locator('#op-noise-chance').fill('100');
    await page.locator('#op-noise-maxSigma').fill('60');
    await page.waitForFunction(
      () => {
        const captions = [...document.querySelectorAll('#preview-images figcaption')].map((c) => c.textContent ?? '');
        return captions.length === 6 && captions.every((c) => c.includes('noise'));
      },
      undefined,
      { timeout: 30_000 },
    );
    await page.locator('#preview-strip').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'preview-strip.png'), fullPage: true });

    // Assess
    assert.equal(first.length, 6);
    assert.ok(
      first.every((image) => image.src.startsWith('data:image/') && image.loaded),
      'every variant shows',
    );
    assert.ok((await renders()) >= 2, 'the strip re-rendered after the controls changed');
    assert.ok(previews.length >= 2 && previews.every((method) => method === 'POST'));
    assert.match((await page.locator('#preview-status').textContent()) ?? '', /6 variants of ladybird\.jpg/);
    await page.close();
  });
});
