import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser, REPO_ROOT, type Stack, skipWithoutBrowser, spawnStack } from '../helpers/browser.js';
import { cocoZip, outlined, photoItems } from '../labels/photo-dataset.js';

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

  it('offers the detection operations in the pipeline builder, and a job made with them runs them', {
    timeout: 120_000,
  }, async () => {
    // Prepare: a COCO zip whose rectangles are labelled by their outlines too (so they can be pasted)
    const items = outlined(await photoItems(4));
    const zip = await cocoZip(items);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    await page.goto(stack.url);
    await page.locator('#preset option[value="delta-classic"]').waitFor({ state: 'attached' });
    const jobsBefore = await page.locator('.job-card').count();
    // Act
    await page.check('#customise');
    const offered = await Promise.all(
      ['mosaic', 'copyPaste', 'bboxSafeCrop', 'randomResizedCrop', 'objectCutout'].map((op) =>
        page.locator(`#op-${op}`).count(),
      ),
    );
    for (const op of ['rotate', 'flipHorizontal', 'flipVertical', 'zoom']) await page.uncheck(`#op-${op}`);
    await page.check('#op-copyPaste');
    await page.locator('#op-copyPaste-chance').fill('100');
    await page.locator('#op-copyPaste-objects').fill('2');
    await page.check('#op-bboxSafeCrop');
    await page.locator('#op-bboxSafeCrop-chance').fill('100');
    await page.screenshot({ path: join(ARTIFACTS, 'detection-operations.png'), fullPage: true });
    await page.setInputFiles('#file-input', { name: 'coco.zip', mimeType: 'application/zip', buffer: zip });
    await page.fill('#variants', '2');
    await page.click('#submit');
    await page.waitForFunction((before) => document.querySelectorAll('.job-card').length > before, jobsBefore);
    const id = await page.locator('.job-card').first().getAttribute('data-job-id');
    await page.locator(`.job-card[data-job-id="${id}"][data-status="completed"]`).waitFor({ timeout: 90_000 });
    const events = (await (await fetch(`${stack.url}/api/jobs/${id}/events`)).json()) as {
      type: string;
      data: {
        pipeline?: { spec?: { steps: { op: string }[] } };
        variants?: { operations: { op: string; params: { pasted?: unknown[] } }[] }[];
      };
    }[];
    // Assess
    assert.deepEqual(offered, [1, 1, 1, 1, 1], 'every detection operation has its switch');
    const spec = events.find((event) => event.type === 'JobCreated')?.data.pipeline?.spec;
    assert.deepEqual(
      spec?.steps.map((step) => step.op),
      ['copyPaste', 'bboxSafeCrop'],
    );
    const applied = events
      .filter((event) => event.type === 'VariantsWritten')
      .flatMap((event) => (event.data.variants ?? []).map((variant) => variant.operations));
    assert.equal(applied.length, 8);
    for (const operations of applied) {
      assert.deepEqual(
        operations.map((o) => o.op),
        ['copyPaste', 'bboxSafeCrop'],
      );
      assert.ok((operations[0]?.params.pasted?.length ?? 0) >= 1, 'objects were pasted');
    }
    await page.close();
  });
});
