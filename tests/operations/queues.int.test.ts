import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createLocalWorkerPool, type WorkerPool } from '@delta-augment/augmenter';
import { JobService } from '@delta-augment/ports';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { seedJob } from '../helpers/jobs.js';
import { REPO, waitFor } from '../helpers/server.js';

const run = promisify(execFile);
const FAST = { MAX_RECEIVE_COUNT: '2', VISIBILITY_TIMEOUT_SECONDS: '1', HANDLER_TIMEOUT_SECONDS: '1' };

describe('operating the queues', () => {
  let t: TestApp;
  let pool: WorkerPool;
  let url: string;
  before(async () => {
    t = await testApp({ env: FAST });
    url = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await pool?.stop(3000);
    await t.close();
  });

  const blobPath = (key: string) => join(t.config.dataDir, 'blobs', 'objects', ...key.split('/'));
  const get = async (path: string) => (await t.app.inject(path)).json();

  it('dead-letters a source whose storage keeps failing, shows it, and completes the job after a redrive', async () => {
    // Prepare: a job whose source object cannot be read (a directory stands where the file should be)
    const created = (
      await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        ...multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '2' }),
      })
    ).json();
    const sourceKey = `sources/${created.id}/${created.sources[0].sourceId}/a.jpg`;
    renameSync(blobPath(sourceKey), `${blobPath(sourceKey)}.saved`);
    mkdirSync(blobPath(sourceKey));
    pool = createLocalWorkerPool(t.config, t.ports);
    pool.start();

    // Act: wait for the dead-letter queue
    await waitFor(
      async () => ((await t.ports.queue.stats('uploads-dlq')).visible === 1 ? true : undefined),
      20_000,
      'the DLQ',
    );

    // Assess: the job says so, the queue list and the peek show it
    const job = await get(`/api/jobs/${created.id}`);
    assert.equal(job.status, 'failed');
    assert.equal(job.sources[0].status, 'dead-lettered');
    const { queues } = await get('/api/queues');
    const uploads = queues.find((q: { name: string }) => q.name === 'uploads');
    assert.equal(uploads.deadLetterQueue, 'uploads-dlq');
    assert.equal(uploads.deadLetterQueueDepth, 1);
    const { messages } = await get('/api/queues/uploads-dlq/messages');
    assert.equal(messages.length, 1);
    assert.equal(messages[0].jobId, created.id);
    assert.equal(messages[0].receiveCount, 2);
    assert.match(messages[0].failureReason, /after 2 attempts/);

    // Act: repair storage and redrive
    rmSync(blobPath(sourceKey), { recursive: true });
    renameSync(`${blobPath(sourceKey)}.saved`, blobPath(sourceKey));
    const redriven = await t.app.inject({ method: 'POST', url: '/api/queues/uploads-dlq/redrive', payload: {} });
    assert.deepEqual(redriven.json(), { queue: 'uploads-dlq', moved: 1 });

    // Assess
    const done = await waitFor(
      async () => {
        const j = await get(`/api/jobs/${created.id}`);
        return j.status === 'completed' ? j : undefined;
      },
      20_000,
      'completion after the redrive',
    );
    assert.deepEqual(done.progress, { done: 2, total: 2 });
    const types = (await get(`/api/jobs/${created.id}/events`)).map((e: { type: string }) => e.type);
    assert.ok(types.includes('SourceDeadLettered') && types.includes('SourceRedriven'));
  });

  it('retries a job whose source failed permanently once the source is fixed', async () => {
    // Prepare: a job recorded with a corrupt source (as a signed upload could deliver)
    const jobs = new JobService(t.ports.events, t.ports.bus);
    const { jobId, refs } = await seedJob(
      { jobs, ports: t.ports },
      [{ name: 'x.jpg', data: Buffer.from('not an image') }],
      { variants: 2 },
    );
    await waitFor(
      async () => ((await get(`/api/jobs/${jobId}`)).status === 'failed' ? true : undefined),
      20_000,
      'the failure',
    );
    const key = refs[0]?.key ?? '';
    rmSync(blobPath(key));
    await t.ports.blobs.put(key, await gradientJpeg());
    await waitFor(
      async () => ((await t.ports.queue.stats('uploads')).visible === 0 ? true : undefined),
      10_000,
      'the new message to be consumed',
    );
    // Act
    const retried = await t.app.inject({ method: 'POST', url: `/api/jobs/${jobId}/retry` });
    // Assess
    assert.equal(retried.statusCode, 202);
    assert.deepEqual(retried.json().retried, [refs[0]?.sourceId]);
    const job = await waitFor(
      async () => {
        const j = await get(`/api/jobs/${jobId}`);
        return j.status === 'completed' ? j : undefined;
      },
      20_000,
      'completion after the retry',
    );
    assert.deepEqual(job.progress, { done: 2, total: 2 });
  });

  it('purges a queue, and a second purge right after is harmless', async () => {
    await pool.stop(3000);
    await t.ports.queue.send('uploads', '{"junk":1}');
    await t.ports.queue.send('uploads', '{"junk":2}');
    const first = await t.app.inject({ method: 'POST', url: '/api/queues/uploads/purge' });
    const second = await t.app.inject({ method: 'POST', url: '/api/queues/uploads/purge' });
    assert.equal(first.statusCode, 200);
    assert.equal(second.statusCode, 200);
    const stats = await t.ports.queue.stats('uploads');
    assert.equal(stats.visible + stats.inFlight, 0);
  });

  it('answers 404 naming an unknown queue', async () => {
    const response = await t.app.inject('/api/queues/nope/messages');
    assert.equal(response.statusCode, 404);
    assert.match(response.json().error.message, /queue nope/);
  });

  it('prints the queue table through the CLI', async () => {
    const { stdout } = await run(process.execPath, ['apps/cli/bin/delta-augment.mjs', 'queues', 'list', '--url', url], {
      cwd: REPO,
    });
    assert.match(stdout, /^QUEUE\s+VISIBLE\s+IN FLIGHT/m);
    assert.match(stdout, /^uploads\s+0\s+0\s+0\s+\d+\s+uploads-dlq\s+0/m);
    const peek = await run(
      process.execPath,
      ['apps/cli/bin/delta-augment.mjs', 'queues', 'peek', 'uploads-dlq', '--url', url],
      {
        cwd: REPO,
      },
    );
    assert.deepEqual(JSON.parse(peek.stdout), { queue: 'uploads-dlq', messages: [] });
    await assert.rejects(
      run(process.execPath, ['apps/cli/bin/delta-augment.mjs', 'queues', 'purge', 'uploads', '--url', url], {
        cwd: REPO,
      }),
      /add --yes/,
    );
  });
});

describe('queue operations with keys configured', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { API_KEYS: 'alice-key-0123456789:alice', ADMIN_KEY: 'admin-key-0123456789' } });
  });
  after(() => t.close());

  it('refuses a user key with 403 and accepts the admin key', async () => {
    const user = await t.app.inject({ url: '/api/queues', headers: { authorization: 'Bearer alice-key-0123456789' } });
    assert.equal(user.statusCode, 403);
    assert.match(user.json().error.message, /admin key/);
    const admin = await t.app.inject({ url: '/api/queues', headers: { authorization: 'Bearer admin-key-0123456789' } });
    assert.equal(admin.statusCode, 200);
    const anonymous = await t.app.inject({ url: '/api/queues' });
    assert.equal(anonymous.statusCode, 401);
  });
});

describe('a background redrive of a dead-letter queue', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('moves every message back through a start, a cancel and a resume, and reports its state', async () => {
    // Prepare: 30 messages in the DLQ
    for (let i = 0; i < 30; i++) await t.ports.queue.send('uploads-dlq', JSON.stringify({ n: i }));
    // Act: start, cancel at once, then resume
    const started = await t.app.inject({
      method: 'POST',
      url: '/api/queues/uploads-dlq/redrive-task',
      payload: { batchSize: 5 },
    });
    const cancelled = await t.app.inject({ method: 'DELETE', url: '/api/queues/uploads-dlq/redrive-task' });
    await waitFor(
      async () => {
        const s = (await t.app.inject('/api/queues/uploads-dlq/redrive-task')).json();
        return s.state === 'cancelled' || s.state === 'completed' ? s : undefined;
      },
      10_000,
      'the task to stop',
    );
    const resumed = await t.app.inject({ method: 'POST', url: '/api/queues/uploads-dlq/redrive-task', payload: {} });
    const done = await waitFor(
      async () => {
        const s = (await t.app.inject('/api/queues/uploads-dlq/redrive-task')).json();
        return s.state === 'completed' ? s : undefined;
      },
      10_000,
      'completion',
    );
    // Assess
    assert.equal(started.statusCode, 202);
    assert.equal(cancelled.statusCode, 202);
    assert.equal(resumed.statusCode, 202);
    assert.equal(done.remaining, 0);
    assert.equal((await t.ports.queue.stats('uploads')).visible, 30);
    assert.equal((await t.ports.queue.stats('uploads-dlq')).visible, 0);
  });

  it('answers 404 when no task was started for the queue', async () => {
    const response = await t.app.inject('/api/queues/uploads/redrive-task');
    assert.equal(response.statusCode, 404);
  });
});
