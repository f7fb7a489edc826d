import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchBrowser, REPO_ROOT, type Stack, skipWithoutBrowser, spawnStack } from '../helpers/browser.js';
import { jobForm, sharedImage } from '../helpers/images.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'web');

describe('the web page shows the delivery attempts of a job webhook', { skip: skipWithoutBrowser }, () => {
  let stack: Stack;
  let browser: Browser;
  let receiver: Server;
  let hits = 0;

  before(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs'], { cwd: REPO_ROOT });
    await mkdir(ARTIFACTS, { recursive: true });
    // A receiver on 127.0.0.1 that fails twice with 503, then answers 204.
    receiver = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        hits += 1;
        response.statusCode = hits <= 2 ? 503 : 204;
        response.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    stack = await spawnStack({
      env: { WORKER_PROCESSES: '1', WEBHOOK_ALLOW_HOSTS: '127.0.0.1', WEBHOOK_RETRY_BASE_MS: '500' },
    });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('lists each attempt on the job card, with its outcome and time, until it is delivered', {
    timeout: 90_000,
  }, async () => {
    // Prepare: a job created through the API with a webhook to the flaky receiver
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/ready`;
    const created = await fetch(`${stack.url}/api/jobs`, {
      method: 'POST',
      body: jobForm([{ name: 'ladybird.jpg', data: sharedImage('ladybird.jpg') }], { variants: '1', webhookUrl: hook }),
    });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Act
    await page.goto(stack.url);
    const card = page.locator(`.job-card[data-job-id="${id}"]`);
    await card.waitFor();
    const box = card.locator('.job-webhook');
    await box.locator('[data-attempt="3"]').waitFor({ state: 'attached', timeout: 60_000 });
    await page.waitForFunction(
      (jobId) =>
        document
          .querySelector(`.job-card[data-job-id="${jobId}"] .job-webhook`)
          ?.getAttribute('data-webhook-status') === 'delivered',
      id,
      { timeout: 15_000 },
    );
    await box.evaluate((details) => {
      (details as HTMLDetailsElement).open = true;
    });
    await card.screenshot({ path: join(ARTIFACTS, 'webhook-attempts.png') });
    // Assess
    assert.match(
      String(await box.locator('summary').textContent()),
      /Webhook to 127\.0\.0\.1:\d+ · delivered · 3 attempts/,
    );
    const attempts = await box.locator('.webhook-attempts li').allTextContents();
    assert.equal(attempts.length, 3);
    assert.match(attempts[0] ?? '', /^#3 · 204 OK · \d{2}:\d{2}:\d{2}$/);
    assert.match(attempts[1] ?? '', /^#2 · the receiver answered 503 · \d{2}:\d{2}:\d{2}$/);
    assert.match(attempts[2] ?? '', /^#1 · the receiver answered 503 · /);
    assert.deepEqual(await box.locator('.webhook-attempts li').evaluateAll((li) => li.map((l) => l.className)), [
      'ok',
      'failed',
      'failed',
    ]);
    assert.equal(hits, 3);
    await page.close();
  });
});
