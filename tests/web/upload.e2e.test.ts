import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser, FileChooser, Page } from 'playwright-core';
import { launchBrowser, REPO_ROOT, type Stack, skipWithoutBrowser, spawnStack } from '../helpers/browser.js';
import { sharedImagePath } from '../helpers/images.js';

const LADYBIRD = sharedImagePath('ladybird.jpg');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'web');
const VARIANTS = 3;
const JOB_TIMEOUT_MS = 30_000;
/** A test that hangs (a chooser that never opens, a stuck page) fails instead of blocking the run. */
const TEST_TIMEOUT_MS = 60_000;

/** Presses Tab until `selector` has focus; fails after `max` presses. */
const tabTo = async (page: Page, selector: string, max = 25): Promise<number> => {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return presses;
  }
  throw new Error(`${selector} was not reached with ${max} Tab presses`);
};

/** Waits for the grid to gain a card (the new job, first in the grid) and returns its job id. */
const newJobId = async (page: Page, cardsBefore: number): Promise<string> => {
  await page
    .locator('.job-card')
    .nth(cardsBefore)
    .waitFor()
    .catch(async (error: unknown) => {
      // Say what the page showed instead of a card (a form error, a jobs error, the upload status).
      const shown = await page.evaluate(() =>
        ['form-error', 'jobs-error', 'upload-status', 'submit']
          .map((id) => `${id}: ${document.getElementById(id)?.textContent?.trim() ?? '(none)'}`)
          .join(' | '),
      );
      await page.screenshot({ path: join(ARTIFACTS, 'no-job-card.png') });
      throw new Error(`no job card appeared; the page shows ${shown}`, { cause: error });
    });
  const id = await page.locator('.job-card').first().getAttribute('data-job-id');
  assert.ok(id, 'the new card names its job');
  return id;
};

/** Records every status line a job card shows, so that the test sees the live steps, not only the end. */
const recordStatusLines = (page: Page) =>
  page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { statusLines: string[] }).statusLines = seen;
    const grid = document.getElementById('job-grid');
    if (!grid) throw new Error('no job grid');
    new MutationObserver(() => {
      for (const text of grid.querySelectorAll('.status-text')) {
        const line = text.textContent ?? '';
        if (seen.at(-1) !== line) seen.push(line);
      }
    }).observe(grid, { subtree: true, childList: true, characterData: true });
  });

describe('the web page, against the running local stack', { skip: skipWithoutBrowser }, () => {
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

  describe('when an image is uploaded with a few variants', () => {
    it('shows live progress to done, a gallery whose variants load, and downloads the zip', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      // Prepare
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const liveEvents: string[] = [];
      page.on('websocket', (socket) =>
        socket.on('framereceived', (frame) => {
          const message = JSON.parse(String(frame.payload)) as { type: string; event?: { type: string } };
          if (message.type === 'event' && message.event) liveEvents.push(message.event.type);
        }),
      );
      await page.goto(stack.url);
      await page.locator('#preset option[value="delta-classic"]').waitFor({ state: 'attached' });
      await recordStatusLines(page);

      // Act: upload
      await page.setInputFiles('#file-input', LADYBIRD);
      await page.fill('#variants', String(VARIANTS));
      await page.fill('#tags', 'e2e, ladybird');
      await page.click('#submit');
      const jobId = await newJobId(page, 0);
      const card = page.locator(`.job-card[data-job-id="${jobId}"]`);
      await page
        .locator(`.job-card[data-job-id="${jobId}"][data-status="completed"]`)
        .waitFor({ timeout: JOB_TIMEOUT_MS });
      await page.screenshot({ path: join(ARTIFACTS, 'job-done.png') });

      // Assess: progress
      assert.equal(await card.locator('.job-title').textContent(), 'ladybird.jpg');
      assert.equal(await card.locator('.status-text').textContent(), `Done: ${VARIANTS} variants`);
      const bar = card.locator('[role="progressbar"]');
      assert.equal(await bar.getAttribute('aria-valuenow'), String(VARIANTS));
      assert.equal(await bar.getAttribute('aria-valuemax'), String(VARIANTS));
      const lines = await page.evaluate(() => (window as unknown as { statusLines: string[] }).statusLines);
      assert.ok(
        lines.some((line) => /^Processing \d+ of 3$/.test(line) || line === 'Queued'),
        `the card showed the job before it was done: ${lines.join(' | ')}`,
      );
      assert.ok(
        liveEvents.includes('VariantsWritten') && liveEvents.includes('JobCompleted'),
        `progress came over the WebSocket (events received: ${liveEvents.join(', ') || 'none'})`,
      );
      await page.waitForFunction(() =>
        /Done: 3 variants/.test(document.getElementById('live-region')?.textContent ?? ''),
      );

      // Act: gallery
      await card.locator('[data-action="gallery"]').click();
      const dialog = page.locator('#gallery');
      await dialog.waitFor({ state: 'visible' });
      await page.waitForFunction(
        (count) => {
          const images = [...document.querySelectorAll<HTMLImageElement>('#gallery .variant-tile img')];
          return images.length === count && images.every((img) => img.complete && img.naturalWidth > 0);
        },
        VARIANTS,
        { timeout: 10_000 },
      );
      await page.evaluate(() =>
        Promise.all(
          [...document.querySelectorAll('#gallery img')].map((img) =>
            (img as HTMLImageElement).decode().catch(() => undefined),
          ),
        ),
      );
      await page.screenshot({ path: join(ARTIFACTS, 'gallery.png') });
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('Enter');
      const caption = page.locator('#lightbox-caption');
      await caption.waitFor({ state: 'visible' });
      const shown = await caption.textContent();
      await page.keyboard.press('ArrowRight');
      const next = await caption.textContent();
      const large = await page.waitForFunction(() => {
        const img = document.querySelector<HTMLImageElement>('#lightbox-image');
        return img?.complete && img.naturalWidth > 0 ? img.naturalWidth : false;
      });
      await page.screenshot({ path: join(ARTIFACTS, 'lightbox.png') });
      await page.keyboard.press('Escape');
      const lightboxHiddenAfterEsc = await page.locator('#lightbox').isHidden();
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'hidden' });

      // Assess: gallery
      assert.match(shown ?? '', /variant 2 of 3/);
      assert.match(next ?? '', /variant 3 of 3/);
      assert.ok(Number(await large.jsonValue()) > 0);
      assert.ok(lightboxHiddenAfterEsc, 'the first Esc leaves the lightbox, the second closes the gallery');

      // Act: download
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        card.locator('[data-action="download"]').click(),
      ]);
      const zip = await readFile(await download.path());
      const view = (await (await fetch(`${stack.url}/api/jobs/${jobId}`)).json()) as { archive?: { bytes: number } };

      // Assess: download
      assert.equal(zip.subarray(0, 4).toString('binary'), 'PK\u0003\u0004', 'the download is a zip');
      assert.equal(zip.length, view.archive?.bytes);
      assert.match(download.suggestedFilename(), /\.zip$/);
      await page.close();
    });
  });

  describe('when a corrupt file is uploaded', () => {
    it('shows the server’s reason in the form, marks the file field and creates no job', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      // Prepare
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(stack.url);
      await page.locator('#job-grid[aria-busy="false"]').waitFor({ state: 'attached' });
      const jobsBefore = await page.locator('.job-card').count();

      // Act
      await page.setInputFiles('#file-input', { name: 'x.jpg', mimeType: 'image/jpeg', buffer: randomBytes(2048) });
      await page.click('#submit');
      const alert = page.locator('#form-error');
      await alert.waitFor({ state: 'visible' });
      await page.screenshot({ path: join(ARTIFACTS, 'corrupt-file.png') });

      // Assess
      assert.match((await alert.textContent()) ?? '', /x\.jpg/);
      assert.equal(await alert.getAttribute('role'), 'alert');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'form-error');
      assert.equal(await page.locator('#drop-zone').getAttribute('aria-invalid'), 'true');
      assert.equal(await page.locator('.job-card').count(), jobsBefore);
      await page.close();
    });
  });

  describe('on a phone-sized screen', () => {
    it('fits 375 px without scrolling sideways', { timeout: TEST_TIMEOUT_MS }, async () => {
      // Prepare
      const page = await browser.newPage({ viewport: { width: 375, height: 700 }, isMobile: true, hasTouch: true });

      // Act
      await page.goto(stack.url);
      await page.locator('#job-grid[aria-busy="false"]').waitFor({ state: 'attached' });
      await page.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true });
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        dropZone: document.getElementById('drop-zone')?.getBoundingClientRect().width ?? 0,
        submit: document.getElementById('submit')?.getBoundingClientRect().width ?? 0,
      }));

      // Assess
      assert.ok(widths.page <= 375, `the page is ${widths.page} px wide`);
      assert.ok(widths.dropZone > 300, `the drop zone takes the width (${widths.dropZone} px)`);
      assert.ok(widths.submit > 300, `the submit button takes the width (${widths.submit} px)`);
      await page.close();
    });
  });

  describe('with the keyboard only', () => {
    it('reaches the drop zone, opens the picker with Enter and starts a job', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      // Prepare
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // Listening before the page loads: file-chooser interception is switched on asynchronously, and a
      // listener added just before the key press sometimes misses the chooser it opens.
      const chooserOpened = new Promise<FileChooser>((resolve) => page.on('filechooser', resolve));
      await page.goto(stack.url);
      await page.locator('#preset option[value="delta-classic"]').waitFor({ state: 'attached' });
      const jobsBefore = await page.locator('.job-card').count();

      // Act
      await tabTo(page, '#drop-zone');
      const outline = await page.evaluate(() => {
        const zone = document.getElementById('drop-zone');
        return zone ? getComputedStyle(zone).outlineStyle : 'none';
      });
      await page.keyboard.press('Enter');
      let timer: NodeJS.Timeout | undefined;
      const chooser = await Promise.race([
        chooserOpened,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('Enter on the drop zone did not open the file picker')), 10_000);
        }),
      ]).finally(() => clearTimeout(timer));
      await chooser.setFiles(LADYBIRD);
      await tabTo(page, '#variants');
      await page.keyboard.press('Control+A');
      await page.keyboard.type('2');
      await tabTo(page, '#submit');
      await page.keyboard.press('Enter');
      const jobId = await newJobId(page, jobsBefore);
      const card = page.locator(`.job-card[data-job-id="${jobId}"]`);
      await page
        .locator(`.job-card[data-job-id="${jobId}"][data-status="completed"]`)
        .waitFor({ timeout: JOB_TIMEOUT_MS });

      // Assess
      assert.notEqual(outline, 'none', 'the focused drop zone shows a focus outline');
      assert.ok(chooser.isMultiple(), 'the picker accepts several files');
      assert.equal(await card.locator('.status-text').textContent(), 'Done: 2 variants');
      await page.close();
    });
  });
  describe('when the operations are customised', () => {
    it('sends a pipeline spec the server accepts and runs', { timeout: TEST_TIMEOUT_MS }, async () => {
      // Prepare
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(stack.url);
      await page.locator('#preset option[value="delta-classic"]').waitFor({ state: 'attached' });
      const jobsBefore = await page.locator('.job-card').count();

      // Act
      await page.check('#customise');
      await page.uncheck('#op-rotate');
      await page.check('#op-noise');
      await page.locator('#op-noise-chance').fill('100');
      await page.locator('#op-zoom-min').fill('1.5');
      await page.screenshot({ path: join(ARTIFACTS, 'customise.png'), fullPage: true });
      await page.setInputFiles('#file-input', LADYBIRD);
      await page.fill('#variants', '2');
      await page.click('#submit');
      const jobId = await newJobId(page, jobsBefore);
      await page
        .locator(`.job-card[data-job-id="${jobId}"][data-status="completed"]`)
        .waitFor({ timeout: JOB_TIMEOUT_MS });
      const events = (await (await fetch(`${stack.url}/api/jobs/${jobId}/events`)).json()) as {
        type: string;
        data: { pipeline?: { spec?: { steps: { op: string }[] } }; variants?: { operations: { op: string }[] }[] };
      }[];

      // Assess
      const spec = events.find((event) => event.type === 'JobCreated')?.data.pipeline?.spec;
      assert.deepEqual(
        spec?.steps.map((step) => step.op),
        ['flip', 'flip', 'zoom', 'noise'],
        'the spec holds the switched-on operations in order',
      );
      const applied = events
        .filter((event) => event.type === 'VariantsWritten')
        .flatMap((event) => (event.data.variants ?? []).map((variant) => variant.operations));
      assert.equal(applied.length, 2);
      assert.ok(
        applied.every((operations) => operations.some((operation) => operation.op === 'noise')),
        'noise at 100 % ran on every variant',
      );
      assert.ok(
        applied.every((operations) => !operations.some((operation) => operation.op === 'rotate')),
        'rotate, switched off, never ran',
      );
      await page.close();
    });
  });
});

describe('the web page, against a stack that requires an API key', { skip: skipWithoutBrowser }, () => {
  const KEY = 'web-e2e-key-0123456789';
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    stack = await spawnStack({ env: { API_KEYS: `${KEY}:alice` } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  describe('when the page is opened without a key', () => {
    it('asks for one, keeps it, and uses it for the API, the images and the WebSocket', {
      timeout: TEST_TIMEOUT_MS,
    }, async () => {
      // Prepare
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const sockets: string[] = [];
      page.on('websocket', (socket) => sockets.push(socket.url()));
      await page.goto(stack.url);

      // Act: the first API call answers 401
      const keyInput = page.locator('#api-key');
      await keyInput.waitFor({ state: 'visible' });
      const asked = await page.evaluate(() => document.activeElement?.id);
      // The presets and the job list are both refused; the list's error is shown when its answer lands.
      await page.waitForFunction(() => Boolean(document.getElementById('jobs-error')?.textContent));
      const message = await page.locator('#jobs-error').textContent();
      await keyInput.fill(KEY);
      await keyInput.press('Enter');
      await page.locator('#preset option[value="delta-classic"]').waitFor({ state: 'attached' });
      await page.setInputFiles('#file-input', LADYBIRD);
      await page.fill('#variants', '2');
      await page.click('#submit');
      const jobId = await newJobId(page, 0);
      await page
        .locator(`.job-card[data-job-id="${jobId}"][data-status="completed"]`)
        .waitFor({ timeout: JOB_TIMEOUT_MS });
      await page.locator(`.job-card[data-job-id="${jobId}"] [data-action="gallery"]`).click();
      await page.waitForFunction(() => {
        const images = [...document.querySelectorAll<HTMLImageElement>('#gallery .variant-tile img')];
        return images.length === 2 && images.every((img) => img.complete && img.naturalWidth > 0);
      });
      await page.reload();
      await page.locator(`.job-card[data-job-id="${jobId}"]`).waitFor();

      // Assess
      assert.equal(asked, 'api-key', 'the key field is focused');
      assert.match(message ?? '', /API key/);
      assert.ok(
        sockets.length > 0 && sockets.every((url) => url.includes(`token=${KEY}`)),
        `sockets: ${sockets.join(', ')}`,
      );
      assert.equal(await page.evaluate(() => localStorage.getItem('delta-augment.apiKey')), KEY);
      assert.equal(await page.locator('#api-key-summary').textContent(), 'API key ✓');
      await context.close();
    });
  });
});
