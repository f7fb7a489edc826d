import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { type JobEvent, TransientError } from '@delta-augment/core';
import { JobService, loadConfig, UPLOAD_QUEUE } from '@delta-augment/ports';
import { type LocalPorts, localPorts } from '@delta-augment/ports/local';
import { gradientJpeg } from '../helpers/images.js';
import { firstSource, seedJob } from '../helpers/jobs.js';
import { tempDir, waitFor } from '../helpers/server.js';
import { holdWriteLock, type LockHolder, type SpawnedProcess, spawnWorker } from './harness.js';
import { assertNothingLost } from './invariants.js';

/** The test's own connections to a data dir that real worker processes also use. */
const open = (env: Record<string, string> = {}) => {
  const dataDir = tempDir('delta-storage-');
  const ports = localPorts(loadConfig({ DATA_DIR: dataDir, ...env }));
  return { dataDir, ports, jobs: new JobService(ports.events, ports.bus) };
};

const eventWhere = (ports: LocalPorts, jobId: string, match: (e: JobEvent) => boolean) => async () =>
  (await ports.events.read(jobId)).find(match);

const failureOf = (e: JobEvent | undefined) => (e?.type === 'SourceFailed' ? e.data : undefined);

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
  );

const FAST = { HANDLER_TIMEOUT_SECONDS: '2', VISIBILITY_TIMEOUT_SECONDS: '2' };

describe('storage faults, with real worker processes on the local adapters', () => {
  const cleanup: (() => Promise<void>)[] = [];
  const worker = async (dataDir: string, options: Parameters<typeof spawnWorker>[1] = {}) => {
    const w = await spawnWorker(dataDir, options);
    cleanup.push(() => w.kill9());
    return w;
  };
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  describe('when the disk fills up while variants are written', () => {
    it('records a retryable failure naming ENOSPC, and completes the job once space is freed', async () => {
      // Prepare: results/ is a 256 KiB tmpfs with 8 KiB left, in the worker's own mount namespace
      const t = open();
      cleanup.push(() => t.ports.close());
      const results = join(t.dataDir, 'blobs', 'objects', 'results');
      mkdirSync(results, { recursive: true });
      const w: SpawnedProcess = await worker(t.dataDir, {
        env: { ...FAST, MAX_RECEIVE_COUNT: '20' },
        namespaceSetup: `mount -t tmpfs -o size=256k tmpfs '${results}'\nhead -c 253952 /dev/zero > '${results}/filler'`,
      });
      const inside = `/proc/${w.pid}/root${results}`;
      const { jobId } = await seedJob(t, [{ name: 'a.jpg', data: await gradientJpeg(400, 300) }], { variants: 4 });
      // Act
      const full = failureOf(
        await waitFor(
          eventWhere(t.ports, jobId, (e) => e.type === 'SourceFailed'),
          20_000,
          'the failure',
        ),
      );
      rmSync(join(inside, 'filler'));
      const state = await waitFor(
        async () => ((await t.jobs.load(jobId))?.status === 'completed' ? t.jobs.load(jobId) : undefined),
        30_000,
        'the job to complete after space was freed',
      );
      // Assess
      assert.equal(full?.final, false, 'a full disk is retryable');
      assert.match(full?.reason ?? '', /ENOSPC|no space left/);
      assert.equal(state?.counts.variants, 4);
      const files = walk(inside).map((f) => f.slice(inside.length));
      assert.deepEqual(
        files.filter((f) => f.endsWith('.tmp')),
        [],
        'no partial temp file is left behind',
      );
      assert.ok(files.includes(`/${jobId}/archive.zip`), 'the archive was written');
      await assertNothingLost({ events: t.ports.events, queue: t.ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });

  describe('when the disk stays too full for the archive until the last attempt', () => {
    it('ends the job failed with the reason, instead of leaving it open with its message dead-lettered', async () => {
      // Prepare: room for the variants (about 8 KiB each) but not for the archive that holds them all
      const t = open();
      cleanup.push(() => t.ports.close());
      const results = join(t.dataDir, 'blobs', 'objects', 'results');
      mkdirSync(results, { recursive: true });
      await worker(t.dataDir, {
        env: { ...FAST, MAX_RECEIVE_COUNT: '3' },
        namespaceSetup: `mount -t tmpfs -o size=64k tmpfs '${results}'`,
      });
      // Act
      const { jobId } = await seedJob(t, [{ name: 'a.jpg', data: await gradientJpeg(400, 300) }], { variants: 4 });
      const state = await waitFor(
        async () => ((await t.jobs.load(jobId))?.status === 'failed' ? t.jobs.load(jobId) : undefined),
        30_000,
        'the job to fail',
      );
      // Assess
      assert.equal((await firstSource(t.jobs, jobId))?.status, 'completed');
      assert.match(state?.failure ?? '', /could not be finalised after 3 attempts: .*archive\.zip.*ENOSPC/);
      await waitFor(
        async () => ((await t.ports.queue.stats(UPLOAD_QUEUE)).inFlight === 0 ? true : undefined),
        10_000,
        'the ack',
      );
      await assertNothingLost({ events: t.ports.events, queue: t.ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });

  describe('when the data directory is read-only', () => {
    it('records a retryable failure naming EROFS for a write, and a healthy worker completes the job', async () => {
      // Prepare: the job's results folder exists, and is read-only for the first worker only
      const t = open();
      cleanup.push(() => t.ports.close());
      const results = join(t.dataDir, 'blobs', 'objects', 'results');
      const { jobId, refs } = await seedJob(t, [{ name: 'a.jpg', data: await gradientJpeg(200, 150) }], {
        variants: 2,
      });
      mkdirSync(join(results, jobId, refs[0]?.sourceId ?? ''), { recursive: true });
      // Act
      const readOnly = await worker(t.dataDir, {
        env: FAST,
        namespaceSetup: `mount --bind '${results}' '${results}'\nmount -o remount,bind,ro '${results}'`,
      });
      const failed = failureOf(
        await waitFor(
          eventWhere(t.ports, jobId, (e) => e.type === 'SourceFailed'),
          20_000,
          'the failure',
        ),
      );
      await readOnly.kill9();
      await worker(t.dataDir, { env: FAST });
      await waitFor(
        async () => ((await t.jobs.load(jobId))?.status === 'completed' ? true : undefined),
        30_000,
        'the job to complete on the healthy worker',
      );
      // Assess
      assert.equal(failed?.final, false);
      assert.match(failed?.reason ?? '', /EROFS|read-only file system/);
      await assertNothingLost({ events: t.ports.events, queue: t.ports.queue, jobIds: [jobId], requireTerminal: true });
    });

    it('keeps a worker whose whole data directory is read-only alive, logging why, and leaves messages untouched', async () => {
      // Prepare
      const t = open();
      cleanup.push(() => t.ports.close());
      const { jobId } = await seedJob(t, [{ name: 'a.jpg', data: await gradientJpeg() }], { variants: 2 });
      // Act
      const w = await worker(t.dataDir, {
        env: FAST,
        namespaceSetup: `mount --bind '${t.dataDir}' '${t.dataDir}'\nmount -o remount,bind,ro '${t.dataDir}'`,
      });
      await waitFor(
        async () => ((w.output().match(/receive failed/g) ?? []).length >= 2 ? true : undefined),
        15_000,
        'the worker to report the failing receives',
      );
      // Assess
      assert.match(w.output(), /"receive failed; retrying","reason":"[^"]*readonly[^"]*"/);
      assert.equal(w.child.exitCode, null, 'the worker is still running');
      const stats = await t.ports.queue.stats(UPLOAD_QUEUE);
      assert.deepEqual([stats.visible, stats.inFlight], [1, 0]);
      assert.equal((await t.jobs.load(jobId))?.status, 'created', 'nothing was recorded');
      await assertNothingLost({ events: t.ports.events, queue: t.ports.queue, jobIds: [jobId] });
    });
  });

  describe('when another process holds the SQLite write lock longer than the busy timeout', () => {
    const locks: LockHolder[] = [];
    afterEach(async () => {
      for (const lock of locks.splice(0)) await lock.release();
    });

    it('fails the event store append as retryable, retries the message, and completes the job', async () => {
      // Prepare: the upload is queued, then another process locks events.sqlite, then the worker starts
      const t = open();
      cleanup.push(() => t.ports.close());
      const { jobId } = await seedJob(t, [{ name: 'a.jpg', data: await gradientJpeg() }], { variants: 2 });
      const lock = await holdWriteLock(join(t.dataDir, 'events.sqlite'));
      locks.push(lock);
      // Act
      const w = await worker(t.dataDir, { env: { HANDLER_TIMEOUT_SECONDS: '6', VISIBILITY_TIMEOUT_SECONDS: '6' } });
      await waitFor(
        async () => (/database is locked/.test(w.output()) ? true : undefined),
        15_000,
        'the worker to hit the lock',
      );
      await lock.release();
      await waitFor(
        async () => ((await t.jobs.load(jobId))?.status === 'completed' ? true : undefined),
        30_000,
        'the job to complete after the lock was released',
      );
      // Assess
      assert.match(w.output(), /"record failed; it will be retried".*event store: append to job .* database is locked/);
      const events = await t.ports.events.read(jobId);
      const starts = events.flatMap((e) => (e.type === 'SourceStarted' ? [e.data.attempt] : []));
      assert.equal(starts.length, 1, 'the attempt that hit the lock recorded nothing');
      assert.ok((starts[0] ?? 0) >= 2, 'the job completed on a later receive of the same message');
      await assertNothingLost({ events: t.ports.events, queue: t.ports.queue, jobIds: [jobId], requireTerminal: true });
    });

    it('refuses a source write whose notification cannot be queued, leaving no object behind to retry', async () => {
      // Prepare
      const t = open();
      cleanup.push(() => t.ports.close());
      const lock = await holdWriteLock(join(t.dataDir, 'queue.sqlite'), 10_000);
      locks.push(lock);
      const key = 'sources/j_AAAAAAAAAAAAAAAAAAAAAA/s_AAAAAAAAAAAAAAAAAAAAAA/a b+c%ü.jpg';
      const data = await gradientJpeg();
      // Act
      const refused = await t.ports.blobs.put(key, data).then(
        () => undefined,
        (error: unknown) => error,
      );
      const headWhileLocked = await t.ports.blobs.head(key);
      await lock.release();
      await t.ports.blobs.put(key, data);
      // Assess
      assert.ok(refused instanceof TransientError, `a retryable error, got ${String(refused)}`);
      assert.match(refused.message, /database is locked/);
      assert.equal(headWhileLocked, undefined, 'the object was not left without its message');
      assert.equal((await t.ports.queue.peek(UPLOAD_QUEUE)).length, 1, 'the retry queued exactly one message');
    });
  });

  describe('when the source object is missing as its message arrives', () => {
    it('fails the source permanently with a reason, and the job ends failed', async () => {
      const t = open();
      cleanup.push(() => t.ports.close());
      const { jobId, refs } = await seedJob(t, [{ name: 'gone.jpg', data: await gradientJpeg() }]);
      await t.ports.blobs.delete(refs[0]?.key ?? '');
      await worker(t.dataDir, { env: FAST });
      const state = await waitFor(
        async () => ((await t.jobs.load(jobId))?.status === 'failed' ? t.jobs.load(jobId) : undefined),
        20_000,
        'the job to fail',
      );
      assert.match(state?.failure ?? '', /source object .*gone\.jpg is missing/);
      const failure = failureOf((await t.ports.events.read(jobId)).find((e) => e.type === 'SourceFailed'));
      assert.equal(failure?.final, true);
      await waitFor(
        async () => ((await t.ports.queue.stats(UPLOAD_QUEUE)).inFlight === 0 ? true : undefined),
        10_000,
        'the ack',
      );
      await assertNothingLost({ events: t.ports.events, queue: t.ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });
});
