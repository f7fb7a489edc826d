import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ARTIFACTS, skipWithoutBrowser, useBrowserStack } from '../helpers/browser.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';

describe('the operator console', { skip: skipWithoutBrowser }, () => {
  const t = useBrowserStack();
  let jobId: string;

  before(async () => {
    const form = new FormData();
    form.append('variants', '2');
    form.append('tags', 'console');
    form.append('file', new Blob([new Uint8Array(await gradientJpeg())], { type: 'image/jpeg' }), 'cat.jpg');
    const created = await fetch(`${t.stack.url}/api/jobs`, { method: 'POST', body: form });
    assert.equal(created.status, 202, await created.clone().text());
    jobId = ((await created.json()) as { id: string }).id;
  });

  it('shows every queue with its state and charts of the last hour, readable at 375 px', {
    timeout: 60_000,
  }, async () => {
    const page = await t.browser.newPage({ viewport: { width: 375, height: 900 } });
    await page.goto(`${t.stack.url}/console`);
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
    const page = await t.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${t.stack.url}/console.html#jobs`);
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
    const page = await t.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${t.stack.url}/console.html#dead-letters/uploads-dlq`);
    await page.getByText('uploads-dlq is empty').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-dead-letters.png') });
    await page.goto(`${t.stack.url}/console.html#owners`);
    const row = page.locator('table.data-table tbody tr').first();
    await row.waitFor({ timeout: 20_000 });
    assert.match((await row.textContent()) ?? '', /local/);
    await page.screenshot({ path: join(ARTIFACTS, 'console-owners.png') });
  });
});

/** Puts a file where the results folder goes, so that every source fails on storage until `repair`. */
const breakResults = async (dataDir: string) => {
  const results = join(dataDir, 'blobs', 'objects', 'results');
  await rm(results, { recursive: true, force: true });
  await mkdir(dirname(results), { recursive: true });
  await writeFile(results, 'not a folder');
  return { repair: () => rm(results, { force: true }) };
};

/** Creates a one-image job of two variants named `name`; resolves to its id. */
const createJob = async (url: string, name: string): Promise<string> => {
  const form = new FormData();
  form.append('variants', '2');
  form.append('file', new Blob([new Uint8Array(await gradientJpeg())], { type: 'image/jpeg' }), name);
  const created = await fetch(`${url}/api/jobs`, { method: 'POST', body: form });
  assert.equal(created.status, 202, await created.clone().text());
  return ((await created.json()) as { id: string }).id;
};

/** Resolves once the DLQ holds `count` messages. */
const deadLetters = (url: string, count: number) =>
  waitFor(
    async () => {
      const { messages } = (await (await fetch(`${url}/api/queues/uploads-dlq/messages?max=100`)).json()) as {
        messages: unknown[];
      };
      return messages.length === count ? true : undefined;
    },
    60_000,
    `${count} dead letters`,
  );

describe('an operator in the console, when an upload is dead-lettered', { skip: skipWithoutBrowser }, () => {
  const t = useBrowserStack({
    env: { MAX_RECEIVE_COUNT: '2', VISIBILITY_TIMEOUT_SECONDS: '1', HANDLER_TIMEOUT_SECONDS: '1' },
  });

  it('finds it, sees why it failed, redrives it and watches its job complete, all from the browser', {
    timeout: 120_000,
  }, async () => {
    // Prepare: storage for results is broken, then a job arrives and is dead-lettered
    const storage = await breakResults(t.stack.dataDir);
    const jobId = await createJob(t.stack.url, 'beetle.jpg');
    await deadLetters(t.stack.url, 1);
    const page = await t.browser.newPage({ viewport: { width: 1280, height: 900 } });

    // Act: the operator opens the dead letters from the queues page
    await page.goto(`${t.stack.url}/console.html#queues`);
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
    await storage.repair();
    const operator = await t.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await operator.goto(`${t.stack.url}/console.html#dead-letters/uploads-dlq`);
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
    assert.ok(!reason.includes(t.stack.dataDir), `the reason names no server folder: ${reason}`);
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

  it('redrives selected, deletes one, redrives all with progress and purges, from the keyboard, each confirmed', {
    timeout: 180_000,
  }, async () => {
    // Prepare: four uploads dead-lettered while storage is broken
    await breakResults(t.stack.dataDir);
    const jobs = [];
    for (const name of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg']) jobs.push(await createJob(t.stack.url, name));
    await deadLetters(t.stack.url, 4);
    const page = await t.browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${t.stack.url}/console.html#dead-letters/uploads-dlq`);
    const rows = page.locator('tr[data-message]');
    await rows.nth(3).waitFor({ timeout: 20_000 });
    const confirmWithKeyboard = async () => {
      const dialog = page.locator('dialog.confirm-dialog');
      await dialog.waitFor();
      const text = `${await dialog.locator('#confirm-title').textContent()} ${await dialog.locator('#confirm-text').textContent()}`;
      await page.keyboard.press('Tab'); // from Cancel (focused first) to the confirming button
      await page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'detached' });
      return text;
    };

    // Act: select the first message with the keyboard and redrive the selection
    const first = rows.first();
    const firstId = await first.getAttribute('data-message');
    await first.locator('input[type="checkbox"]').focus();
    await page.keyboard.press('Space');
    const selection = await page.locator('#selection-count').textContent();
    await page.getByRole('button', { name: 'Redrive selected' }).focus();
    await page.keyboard.press('Enter');
    const redriveSelected = await confirmWithKeyboard();
    await page.locator('#console-announcer').filter({ hasText: 'Redriven 1 of 1 message' }).waitFor();
    await page.locator(`tr[data-message="${firstId}"]`).waitFor({ state: 'detached' });
    // the redriven upload fails again (storage is still broken) and comes back: wait for it, so that what the
    // next steps count does not depend on how fast that happens
    await deadLetters(t.stack.url, 4);
    await page.goto(`${t.stack.url}/console.html#queues`);
    await page.goto(`${t.stack.url}/console.html#dead-letters/uploads-dlq`);
    await rows.nth(3).waitFor({ timeout: 20_000 });
    // Act: delete one
    const doomed = rows.first();
    const doomedId = await doomed.getAttribute('data-message');
    await doomed.getByRole('button', { name: 'Delete' }).focus();
    await page.keyboard.press('Enter');
    const deleteOne = await confirmWithKeyboard();
    await page
      .locator('#console-announcer')
      .filter({ hasText: `Deleted message ${doomedId}` })
      .waitFor();
    // Act: redrive all, watching the background task
    await page.getByRole('button', { name: 'Redrive all' }).focus();
    await page.keyboard.press('Enter');
    const redriveAll = await confirmWithKeyboard();
    const task = page.locator('#redrive-task');
    await task.filter({ hasText: /Redrive all completed/ }).waitFor({ timeout: 30_000 });
    const taskText = await task.textContent();
    // Act: all three come back (storage is still broken); purge them
    await deadLetters(t.stack.url, 3);
    await page.goto(`${t.stack.url}/console.html#queues`);
    await page.goto(`${t.stack.url}/console.html#dead-letters/uploads-dlq`);
    await rows.nth(2).waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: 'Purge' }).focus();
    await page.keyboard.press('Enter');
    const purge = await confirmWithKeyboard();
    await page.getByText('uploads-dlq is empty').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'console-dead-letters-purged.png'), fullPage: true });

    // Assess: each confirmation said what would happen, and each action did it
    assert.equal(selection, '1 selected');
    assert.match(redriveSelected, /1 message will move from uploads-dlq back to the upload queue/);
    assert.match(
      deleteOne,
      new RegExp(`Delete message ${doomedId}\\?.*removed from uploads-dlq for good; job j_\\S+ keeps`),
    );
    assert.match(redriveAll, /Redrive every message of uploads-dlq\?.*background task will move all 3 messages/);
    assert.match(taskText ?? '', /: 3 moved/);
    assert.match(purge, /Purge uploads-dlq\?.*Every message of uploads-dlq \(3\) will be deleted for good/);
    assert.deepEqual(
      (await (await fetch(`${t.stack.url}/api/queues/uploads-dlq/messages`)).json()).messages,
      [],
      'the DLQ is empty',
    );
    const views = await Promise.all(
      jobs.map(async (id) => (await (await fetch(`${t.stack.url}/api/jobs/${id}`)).json()).status),
    );
    assert.deepEqual(views, ['failed', 'failed', 'failed', 'failed'], 'each job stays failed, with its reason');
  });

  it('fits every page in 375 px without scrolling sideways', { timeout: 60_000 }, async () => {
    const page = await t.browser.newPage({ viewport: { width: 375, height: 800 } });
    const jobId = await createJob(t.stack.url, 'narrow.jpg');
    const overflows: string[] = [];
    const pages = [
      ['queues', 'Queues'],
      ['dead-letters/uploads-dlq', 'Dead letters: uploads-dlq'],
      ['jobs', 'Jobs across owners'],
      [`job/${jobId}`, `Job ${jobId}`],
      ['owners', 'Owners and quotas'],
    ] as const;
    for (const [hash, heading] of pages) {
      await page.goto(`${t.stack.url}/console.html#${hash}`);
      await page.locator('#console-view h1', { hasText: heading }).waitFor({ timeout: 20_000 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 1) overflows.push(`${hash}: ${overflow} px`);
      await page.screenshot({ path: join(ARTIFACTS, `console-375-${hash.split('/')[0]}.png`), fullPage: true });
    }
    assert.deepEqual(overflows, []);
  });
});
