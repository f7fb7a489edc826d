import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser, REPO_ROOT, type Stack, skipWithoutBrowser, spawnStack } from '../helpers/browser.js';
import { gradientJpeg } from '../helpers/images.js';

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
