import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { INTERRUPTED_UPLOAD } from '@delta-augment/gateway';
import { JobService, loadConfig } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import { gradientJpeg, jobForm } from '../helpers/images.js';
import { type RunningServer, startServer, tempDir, waitFor } from '../helpers/server.js';
import { holdWriteLock } from './harness.js';
import { assertBlobsConsistent, assertNothingLost } from './invariants.js';

const SERVER_ENV = {
  WORKER_PROCESSES: '1',
  HANDLER_TIMEOUT_SECONDS: '20',
  VISIBILITY_TIMEOUT_SECONDS: '20',
};

/** Every file under the job's folders, objects and sidecars, temp files included. */
const filesOf = (dataDir: string, jobId: string): string[] => {
  const found: string[] = [];
  for (const base of ['objects', 'meta']) {
    for (const root of ['sources', 'results']) {
      const dir = join(dataDir, 'blobs', base, root, jobId);
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
        if (entry.isFile()) found.push(join(entry.parentPath, entry.name));
      }
    }
  }
  return found;
};

describe('crashes and deletions in the middle of a job', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  const open = (dataDir: string) => {
    const ports = localPorts(loadConfig({ DATA_DIR: dataDir }));
    cleanup.push(() => ports.close());
    return { ports, jobs: new JobService(ports.events, ports.bus) };
  };
  const serve = async (dataDir: string): Promise<RunningServer> => {
    const server = await startServer({ dataDir, env: SERVER_ENV });
    cleanup.push(() => server.kill9());
    return server;
  };

  describe('when the gateway is killed -9 after the job is recorded, before its source is stored', () => {
    it('fails the source with a reason at the next start, the job ends, and retry does not reopen it', async () => {
      // Prepare: the bus file is locked, so the gateway hangs publishing JobCreated: after the append, before the write
      const dataDir = tempDir('delta-crash-');
      const { ports, jobs } = open(dataDir);
      const first = await serve(dataDir);
      const lock = await holdWriteLock(join(dataDir, 'bus.sqlite'));
      cleanup.push(() => lock.release());
      const upload = fetch(`${first.url}/api/jobs`, {
        method: 'POST',
        body: jobForm([{ name: 'cut.jpg', data: await gradientJpeg(320, 240) }], { variants: '2' }),
      }).catch(() => undefined);
      const job = await waitFor(async () => (await ports.events.query({})).items[0], 20_000, 'the job to be recorded');
      // Act: kill -9 the whole stack while the write has not happened yet
      await first.kill9();
      await upload;
      await lock.release();
      assert.equal(filesOf(dataDir, job.id).length, 0, 'no source object was written');
      const second = await serve(dataDir);
      // Assess
      const ended = await waitFor(
        async () => {
          const state = await jobs.load(job.id);
          return state?.status === 'failed' ? state : undefined;
        },
        30_000,
        'the interrupted job to end',
      );
      assert.match(ended.failure ?? '', /upload was interrupted/);
      const failed = (await ports.events.read(job.id)).find((e) => e.type === 'SourceFailed');
      assert.ok(failed?.type === 'SourceFailed');
      assert.equal(failed.data.reason, INTERRUPTED_UPLOAD);
      const retry = await fetch(`${second.url}/api/jobs/${job.id}/retry`, { method: 'POST' });
      assert.equal(retry.status, 202);
      assert.deepEqual((await retry.json()).retried, []);
      assert.equal((await jobs.load(job.id))?.status, 'failed', 'retry left the job ended');
      await assertNothingLost({ events: ports.events, queue: ports.queue, jobIds: [job.id], requireTerminal: true });
    });
  });

  describe('when the gateway is killed -9 after the source is stored, before its message is sent', () => {
    it('sends the message again at the next start and the job completes', async () => {
      // Prepare: the queue file is locked, so the gateway hangs queueing the message of a source already on disk
      const dataDir = tempDir('delta-crash-');
      const { ports, jobs } = open(dataDir);
      const first = await serve(dataDir);
      const lock = await holdWriteLock(join(dataDir, 'queue.sqlite'));
      cleanup.push(() => lock.release());
      const upload = fetch(`${first.url}/api/jobs`, {
        method: 'POST',
        body: jobForm([{ name: 'kept.jpg', data: await gradientJpeg(320, 240) }], { variants: '3' }),
      }).catch(() => undefined);
      const job = await waitFor(async () => (await ports.events.query({})).items[0], 20_000, 'the job to be recorded');
      const stored = await waitFor(
        async () => (filesOf(dataDir, job.id).some((f) => f.endsWith('kept.jpg')) ? true : undefined),
        20_000,
        'the source object',
      );
      // Act
      await first.kill9();
      await upload;
      await lock.release();
      assert.ok(stored);
      assert.equal((await ports.queue.peek('uploads')).length, 0, 'the message was never sent');
      await serve(dataDir);
      // Assess
      await waitFor(
        async () => ((await jobs.load(job.id))?.status === 'completed' ? true : undefined),
        60_000,
        'the job to complete',
      );
      assert.equal((await jobs.load(job.id))?.counts.variants, 3);
      await assertNothingLost({ events: ports.events, queue: ports.queue, jobIds: [job.id], requireTerminal: true });
      await assertBlobsConsistent({ events: ports.events, blobs: ports.blobs, dataDir });
    });
  });

  describe('when a job is deleted while its variants are being rendered', () => {
    it('stops the work and removes everything it wrote, including what landed after the 204', async () => {
      // Prepare: 100 variants of a 1600×1200 source, rendered two at a time by one worker
      const dataDir = tempDir('delta-delete-');
      const { ports, jobs } = open(dataDir);
      const server = await serve(dataDir);
      const created = await fetch(`${server.url}/api/jobs`, {
        method: 'POST',
        body: jobForm([{ name: 'big.jpg', data: await gradientJpeg(1600, 1200) }], {
          variants: '100',
          pipeline: JSON.stringify({
            steps: [
              { op: 'rotate', angle: [-30, 30] },
              { op: 'blur', sigma: [1, 3] },
            ],
          }),
        }),
      });
      assert.equal(created.status, 202, await created.clone().text());
      const { id } = (await created.json()) as { id: string };
      await waitFor(
        async () => (((await jobs.load(id))?.counts.variants ?? 0) >= 4 ? true : undefined),
        60_000,
        'the first variants',
      );
      // Act
      const deleted = await fetch(`${server.url}/api/jobs/${id}`, { method: 'DELETE' });
      // Assess: the worker notices, stops, acknowledges the message and removes what it wrote after the 204
      assert.equal(deleted.status, 204);
      await waitFor(
        async () => ((await ports.queue.peek('uploads')).length === 0 ? true : undefined),
        60_000,
        'the message to be acknowledged',
      );
      await sleep(2000);
      assert.deepEqual(filesOf(dataDir, id), [], 'nothing of the job is left');
      assert.match(server.output(), /job deleted while it was processed: work stopped/);
      assert.equal(await jobs.load(id), undefined);
      await assertBlobsConsistent({ events: ports.events, blobs: ports.blobs, dataDir });
    });
  });
});
