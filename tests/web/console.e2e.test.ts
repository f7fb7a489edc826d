import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser, REPO_ROOT, type Stack, skipWithoutBrowser, spawnStack } from '../helpers/browser.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'web');

describe('the operator console', { skip: skipWithoutBrowser }, () => {
  let stack: Stack;
  let browser: Browser;
  let jobId: string;

  before(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs'], { cwd: REPO_ROOT });
    await mkdir(ARTIFACTS, { recursive: true });
    stack = await spawnStack();
    browser = await launchBrowser();
    const form = new FormData();
    form.append('variants', '2');
    form.append('tags', 'console');
    form.append('file', new Blob([new Uint8Array(await gradientJpeg())], { type: 'image/jpeg' }), 'cat.jpg');
    const created = await fetch(`${stack.url}/api/jobs`, { method: 'POST', body: form });
    assert.equal(created.status, 202, await created.clone().text());
    jobId = ((await created.json()) as { id: string }).id;
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('shows every queue with its state and charts of the last hour, readable at 375 px', {
    timeout: 60_000,
  }, async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 900 } });
    await page.goto(`${stack.url}/console`);
    await page.locator('tr[data-queue="uploads"]').waitFor({ timeout: 20_000 });
    const state = await page.locator('#queues-state').textContent();
    const charts = await page.locator('svg.chart').count();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await page.screenshot({ path: join(ARTIFACTS, 'console-queues.png'), fullPage: true });
    assert.match(state ?? '', /All queues healthy|Attention/);
    assert.equal(charts, 3, 'depth, oldest age and throughput charts');
    assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow} px at 375 px`);
  });

  it('finds the job across owners and opens its timeline from the keyboard', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${stack.url}/console.html#jobs`);
    await page.locator('input[name="tag"]').fill('console');
    await page.keyboard.press('Enter');
    const link = page.locator(`a[href="#job/${jobId}"]`);
    await link.waitFor({ timeout: 20_000 });
    await link.focus();
    await page.keyboard.press('Enter');
    await page.locator('.timeline-entry').first().waitFor({ timeout: 20_000 });
    const first = await page.locator('.timeline-entry .timeline-type').first().textContent();
    await page.screenshot({ path: join(ARTIFACTS, 'console-job.png'), fullPage: true });
    assert.match(first ?? '', /^1\. JobCreated/);
    assert.equal(await page.locator('svg.chart').count(), 1, 'the variants-over-time chart');
  });

  it('shows the dead letters page and the owners page', { timeout: 60_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${stack.url}/console.html#dead-letters/uploads-dlq`);
    await page.getByText('uploads-dlq is empty').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-dead-letters.png') });
    await page.goto(`${stack.url}/console.html#owners`);
    const row = page.locator('table.data-table tbody tr').first();
    await row.waitFor({ timeout: 20_000 });
    assert.match((await row.textContent()) ?? '', /local/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-owners.png') });
  });
});

describe('an operator in the console, when an upload is dead-lettered', { skip: skipWithoutBrowser }, () => {
  let stack: Stack;
  let browser: Browser;

  before(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs'], { cwd: REPO_ROOT });
    await mkdir(ARTIFACTS, { recursive: true });
    stack = await spawnStack({
      env: { MAX_RECEIVE_COUNT: '2', VISIBILITY_TIMEOUT_SECONDS: '1', HANDLER_TIMEOUT_SECONDS: '1' },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('finds it, sees why it failed, redrives it and watches its job complete, all from the browser', {
    timeout: 120_000,
  }, async () => {
    // Prepare: storage for results is broken (a file stands where the results folder goes), then a job arrives
    const results = join(stack.dataDir, 'blobs', 'objects', 'results');
    await rm(results, { recursive: true, force: true });
    await mkdir(dirname(results), { recursive: true });
    await writeFile(results, 'not a folder');
    const form = new FormData();
    form.append('variants', '2');
    form.append('file', new Blob([new Uint8Array(await gradientJpeg())], { type: 'image/jpeg' }), 'beetle.jpg');
    const created = await fetch(`${stack.url}/api/jobs`, { method: 'POST', body: form });
    assert.equal(created.status, 202, await created.clone().text());
    const jobId = ((await created.json()) as { id: string }).id;
    await waitFor(
      async () => {
        const job = (await (await fetch(`${stack.url}/api/jobs/${jobId}`)).json()) as { status: string };
        return job.status === 'failed' ? true : undefined;
      },
      60_000,
      'the job to fail once its source is dead-lettered',
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });

    // Act: the operator opens the dead letters from the queues page
    await page.goto(`${stack.url}/console.html#queues`);
    await page.locator('a[href="#dead-letters/uploads-dlq"]').first().click();
    const row = page.locator('tr[data-message]').filter({ hasText: jobId });
    await row.waitFor({ timeout: 20_000 });
    const shown = (await row.textContent()) ?? '';
    const reason = (await row.locator('td.reason').textContent()) ?? '';
    await page.screenshot({ path: join(ARTIFACTS, 'console-dead-letter-found.png'), fullPage: true });
    // Act: its job opens in one click, and stays open in this tab
    await row.getByRole('link', { name: jobId }).click();
    await page.locator('#job-status[data-status="failed"]').waitFor({ timeout: 20_000 });
    // Act: in a second tab, repair storage, then redrive that message with the confirmation the dialog names
    await rm(results, { force: true });
    const operator = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await operator.goto(`${stack.url}/console.html#dead-letters/uploads-dlq`);
    const again = operator.locator('tr[data-message]').filter({ hasText: jobId });
    await again.getByRole('button', { name: 'Redrive' }).click();
    const dialog = operator.locator('dialog.confirm-dialog');
    await dialog.waitFor();
    const consequence = (await dialog.locator('#confirm-text').textContent()) ?? '';
    await dialog.getByRole('button', { name: 'Redrive' }).click();
    await operator.locator('#console-announcer').filter({ hasText: 'Redriven 1 of 1 message' }).waitFor();
    await operator.getByText('uploads-dlq is empty').waitFor({ timeout: 20_000 });
    // Act: the first tab, untouched, follows the job until it completes
    await page.locator('#job-status[data-status="completed"]').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-job-redriven.png'), fullPage: true });

    // Assess
    assert.match(shown, /beetle\.jpg/, 'the row names the source file');
    assert.match(shown, /local/, 'the row names the owner');
    assert.match(reason, /after 2 attempts: .*ENOTDIR/, 'the reason says what failed and how often it was tried');
    assert.ok(!reason.includes(stack.dataDir), `the reason names no server folder: ${reason}`);
    assert.match(consequence, /1 message will move from uploads-dlq back to the upload queue/);
    const types = await page.locator('.timeline-entry .timeline-type').allTextContents();
    const order = ['SourceDeadLettered', 'SourceRedriven', 'JobCompleted'].map((type) =>
      types.findIndex((text) => text.endsWith(` ${type}`)),
    );
    assert.ok(
      order.every((index, i) => index >= 0 && index > (order[i - 1] ?? -1)),
      `timeline: ${types}`,
    );
    assert.match((await page.locator('#job-status').textContent()) ?? '', /completed, 2 of 2 variants/);
  });
});
