import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, errorOf } from '../gateway/fixtures.js';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const ADMIN = 'admin-key-0123456789';

const createJob = async (t: TestApp, key: string, fields: Record<string, string> = {}) => {
  const form = multipartBody([{ name: 'cat.jpg', data: await gradientJpeg() }], { variants: '2', ...fields });
  return t.app.inject({
    method: 'POST',
    url: '/api/jobs',
    payload: form.payload,
    headers: { ...form.headers, ...bearer(key) },
  });
};

/** Receives a queue's messages with no visibility until the queue moves them to its DLQ (maxReceiveCount). */
const deadLetterEverything = async (t: TestApp) => {
  for (let i = 0; i <= t.config.maxReceiveCount; i++) {
    await t.ports.queue.receive('uploads', { maxMessages: 10, visibilityTimeoutSeconds: 0 });
  }
};

describe('quotas per owner', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({
      env: {
        API_KEYS: `${ALICE}:alice,${BOB}:bob`,
        ADMIN_KEY: ADMIN,
        QUOTA_JOBS_PER_DAY: '2',
        QUOTA_VARIANTS_PER_DAY: '50',
        QUOTA_OVERRIDES: '{"bob":{"jobsPerDay":1}}',
      },
    });
  });
  after(() => t.close());

  describe('when an owner has created as many jobs today as the quota allows', () => {
    it('refuses the next with a 429 that names the quota and when it resets', async () => {
      // Prepare
      assert.equal((await createJob(t, ALICE)).statusCode, 202);
      assert.equal((await createJob(t, ALICE)).statusCode, 202);
      // Act
      const refused = await createJob(t, ALICE);
      // Assess
      assert.equal(refused.statusCode, 429, refused.body);
      const error = errorOf(refused);
      assert.equal(error.code, 'QUOTA_EXCEEDED');
      assert.match(error.message, /quota jobsPerDay .* 2 used \+ 1 requested > 2 .*QUOTA_JOBS_PER_DAY/);
      assert.match(error.message, /resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/);
      const retryAfter = Number(refused.headers['retry-after']);
      assert.ok(retryAfter > 0 && retryAfter <= 86_400, `retry-after ${refused.headers['retry-after']}`);
    });
  });

  it("counts each owner's jobs apart, with per-owner overrides", async () => {
    assert.equal((await createJob(t, BOB)).statusCode, 202);
    const refused = await createJob(t, BOB);
    assert.equal(refused.statusCode, 429);
    assert.match(errorOf(refused).message, /owner bob: 1 used \+ 1 requested > 1/);
  });

  it('refuses a job whose variants would pass the daily variant quota before anything is stored', async () => {
    const t2 = await testApp({ env: { API_KEYS: `${ALICE}:alice`, QUOTA_VARIANTS_PER_DAY: '5' } });
    try {
      const refused = await createJob(t2, ALICE, { variants: '6' });
      assert.equal(refused.statusCode, 429);
      assert.match(errorOf(refused).message, /quota variantsPerDay .* 0 used \+ 6 requested > 5/);
      assert.equal((await t2.ports.events.query({ owner: 'alice' })).items.length, 0);
    } finally {
      await t2.close();
    }
  });

  it("shows the admin each owner's usage against their limits, and nobody else", async () => {
    const response = await t.app.inject({ url: '/api/admin/owners', headers: bearer(ADMIN) });
    assert.equal(response.statusCode, 200, response.body);
    const owners = response.json().owners as {
      owner: string;
      usage: Record<string, number>;
      limits: Record<string, number>;
    }[];
    const alice = owners.find((o) => o.owner === 'alice');
    const bob = owners.find((o) => o.owner === 'bob');
    assert.deepEqual(alice?.limits, { jobsPerDay: 2, variantsPerDay: 50, bytesStored: 50 * 1024 ** 3 });
    assert.equal(alice?.usage.jobsToday, 2);
    assert.equal(alice?.usage.variantsToday, 4);
    assert.equal(alice?.usage.bytesStored, 0, 'no variant is written yet: stored bytes count variants and archives');
    assert.equal(bob?.limits.jobsPerDay, 1);
    assert.equal(bob?.usage.jobsToday, 1);
    const forbidden = await t.app.inject({ url: '/api/admin/owners', headers: bearer(ALICE) });
    assert.equal(forbidden.statusCode, 403);
  });

  it("lets the admin list one owner's jobs", async () => {
    const response = await t.app.inject({ url: '/api/jobs?owner=bob', headers: bearer(ADMIN) });
    const items = response.json().items as { owner: string }[];
    assert.equal(items.length, 1);
    assert.deepEqual(
      items.map((i) => i.owner),
      ['bob'],
    );
    const notAdmin = await t.app.inject({ url: '/api/jobs?owner=bob', headers: bearer(ALICE) });
    assert.ok((notAdmin.json().items as { owner: string }[]).every((i) => i.owner === 'alice'));
  });
});

describe('the console overview and dead letters', () => {
  let t: TestApp;
  let jobId: string;
  before(async () => {
    t = await testApp({ env: { API_KEYS: `${ALICE}:alice`, ADMIN_KEY: ADMIN, CONSOLE_OLDEST_AGE_SECONDS: '3600' } });
    const created = await createJob(t, ALICE);
    jobId = created.json().id;
  });
  after(() => t.close());

  it('shows each queue with a history sample and no alert while the DLQ is empty', async () => {
    const response = await t.app.inject({ url: '/api/admin/overview', headers: bearer(ADMIN) });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json();
    const uploads = body.queues.find((q: { name: string }) => q.name === 'uploads');
    assert.equal(uploads.visible, 1);
    assert.deepEqual(uploads.alerts, []);
    assert.ok(body.history.uploads.length >= 1, 'the monitor samples when the gateway starts');
    assert.equal(body.thresholds.oldestAgeSeconds, 3600);
    assert.equal(body.throughput.buckets.length, 60);
    assert.equal(
      body.throughput.buckets.reduce((sum: number, b: { jobsStarted: number }) => sum + b.jobsStarted, 0),
      1,
    );
  });

  describe('when a source message is dead-lettered', () => {
    before(() => deadLetterEverything(t));

    it('turns the upload queue red, naming the dead-letter queue', async () => {
      const body = (await t.app.inject({ url: '/api/admin/overview', headers: bearer(ADMIN) })).json();
      const uploads = body.queues.find((q: { name: string }) => q.name === 'uploads');
      assert.equal(uploads.deadLetterQueueDepth, 1);
      assert.deepEqual(uploads.alerts, ['1 in dead-letter queue uploads-dlq']);
    });

    it('lists the dead letter with its job, file name and owner', async () => {
      const peek = await t.app.inject({ url: '/api/queues/uploads-dlq/messages', headers: bearer(ADMIN) });
      const [message] = peek.json().messages;
      assert.equal(message.jobId, jobId);
      assert.equal(message.sourceName, 'cat.jpg');
      assert.equal(message.owner, 'alice');
      assert.equal(message.receiveCount, t.config.maxReceiveCount, 'the receives that dead-lettered it');
    });

    it('deletes that one message by id, and answers 404 for it afterwards', async () => {
      const [message] = (await t.app.inject({ url: '/api/queues/uploads-dlq/messages', headers: bearer(ADMIN) })).json()
        .messages;
      await t.ports.queue.send('uploads-dlq', '{"other":true}');
      const url = `/api/queues/uploads-dlq/messages/${message.messageId}`;
      const deleted = await t.app.inject({ method: 'DELETE', url, headers: bearer(ADMIN) });
      assert.equal(deleted.statusCode, 200, deleted.body);
      const left = (await t.app.inject({ url: '/api/queues/uploads-dlq/messages', headers: bearer(ADMIN) })).json()
        .messages;
      assert.deepEqual(
        left.map((m: { body: string }) => m.body),
        ['{"other":true}'],
        'the other message stays, visible',
      );
      assert.equal((await t.ports.queue.stats('uploads-dlq')).inFlight, 0);
      const again = await t.app.inject({ method: 'DELETE', url, headers: bearer(ADMIN) });
      assert.equal(again.statusCode, 404);
    });
  });

  it('refuses the console API without the admin key', async () => {
    const response = await t.app.inject({ url: '/api/admin/overview', headers: bearer(ALICE) });
    assert.equal(response.statusCode, 403);
    assert.match(errorOf(response).message, /admin key/);
  });
});
