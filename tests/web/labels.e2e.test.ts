import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser, REPO_ROOT, type Stack, skipWithoutBrowser, spawnStack } from '../helpers/browser.js';
import { cocoZip, photoItems } from '../labels/photo-dataset.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'web');

describe('the web page with a labelled dataset job', { skip: skipWithoutBrowser }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs'], { cwd: REPO_ROOT });
    await mkdir(ARTIFACTS, { recursive: true });
    stack = await spawnStack();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it("draws each output's boxes over its preview (toggle) and shows class counts before and after", {
    timeout: 90_000,
  }, async () => {
    // Prepare: a COCO job of three photos, two objects each
    const form = new FormData();
    form.append('variants', '2');
    form.append('pipeline', JSON.stringify({ steps: [{ op: 'rotate', angle: [-15, 15], mode: 'fill' }] }));
    form.append(
      'file',
      new Blob([new Uint8Array(await cocoZip(await photoItems(3)))], { type: 'application/zip' }),
      'coco.zip',
    );
    const created = await fetch(`${stack.url}/api/jobs`, { method: 'POST', body: form });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Act
    await page.goto(stack.url);
    const card = page.locator(`.job-card[data-job-id="${id}"]`);
    await card.locator('[data-action="download"]').waitFor({ state: 'visible', timeout: 60_000 });
    const classes = await card.locator('.job-classes').textContent();
    await card.locator('[data-action="gallery"]').click();
    await page.waitForFunction(() => document.querySelectorAll('#gallery .variant-tile .label-overlay').length === 6);
    const boxes = await page.locator('#gallery .variant-tile .label-overlay rect').count();
    await page.screenshot({ path: join(ARTIFACTS, 'gallery-labels.png') });
    await page.locator('label[for="gallery-labels"]').click();
    const hidden = await page.locator('#gallery .variant-tile .label-overlay').first().isHidden();
    await page.locator('label[for="gallery-labels"]').click();
    await page.locator('#gallery .variant-tile').first().click();
    await page.waitForFunction(() => document.querySelector('#lightbox .lightbox-labels .label-overlay rect') !== null);
    await page.screenshot({ path: join(ARTIFACTS, 'lightbox-labels.png') });
    // Assess
    assert.match(classes ?? '', /coco → coco · objects per class, before → after: magenta 3 → \d+ · cyan 3 → \d+/);
    assert.ok(boxes >= 10 && boxes <= 12, `${boxes} boxes over 6 previews`);
    assert.ok(hidden, 'the toggle hides the labels');
  });
});
