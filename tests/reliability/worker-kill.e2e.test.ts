import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { WorkerPool } from '@delta-augment/augmenter';
import { ConfigError } from '@delta-augment/core';
import { JobService, loadConfig, UPLOAD_QUEUE } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import { gradientJpeg } from '../helpers/images.js';
import { seedJob, variantIndices } from '../helpers/jobs.js';
import { REPO, tempDir, waitFor } from '../helpers/server.js';
import { holdWriteLock, runToExit, spawnWorker } from './harness.js';
import { assertNothingLost } from './invariants.js';

describe('worker process faults', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  describe('when a worker is killed after writing its outputs but before deleting the message', () => {
    it('lets the redelivered message finish nothing twice: one set of events, one terminal event', async () => {
      // Prepare: a real worker; the test keeps its own connections to the same data dir
      const dataDir = tempDir('delta-kill-');
      const env = { HANDLER_TIMEOUT_SECONDS: '5', VISIBILITY_TIMEOUT_SECONDS: '6' };
      const ports = localPorts(loadConfig({ DATA_DIR: dataDir, ...env }));
      const jobs = new JobService(ports.events, ports.bus);
      cleanup.push(() => ports.close());
      const first = await spawnWorker(dataDir, { env });
      cleanup.push(() => first.kill9());
      const { jobId } = await seedJob(
        { jobs, ports },
        [{ name: 'a b+c%ü.jpg', data: await gradientJpeg(1600, 1200) }],
        { variants: 12 },
      );
      await waitFor(
        async () => ((await ports.queue.stats(UPLOAD_QUEUE)).inFlight === 1 ? true : undefined),
        10_000,
        'the worker to receive the message',
      );
      // Another process holds queue.sqlite's write lock, so the worker's delete waits behind it
      const lock = await holdWriteLock(join(dataDir, 'queue.sqlite'));
      cleanup.push(() => lock.release());
      // Act: kill -9 the moment the job's terminal event is stored, while the delete is still waiting
      await waitFor(
        async () => ((await jobs.load(jobId))?.status === 'completed' ? true : undefined),
        30_000,
        'the outputs and the terminal event',
      );
      await first.kill9();
      await lock.release();
      const [left] = await ports.queue.peek(UPLOAD_QUEUE);
      const eventsAtKill = await ports.events.read(jobId);
      const second = await spawnWorker(dataDir, { env });
      cleanup.push(() => second.kill9());
      await waitFor(
        async () => ((await ports.queue.peek(UPLOAD_QUEUE)).length === 0 ? true : undefined),
        30_000,
        'the second worker to take and delete the message',
      );
      // Assess
      assert.equal(left?.receiveCount, 1, 'the message outlived the worker that had finished it');
      const events = await ports.events.read(jobId);
      assert.deepEqual(events, eventsAtKill, 'the redelivery appended nothing');
      assert.equal(events.filter((e) => e.type === 'JobCompleted').length, 1);
      assert.equal(variantIndices(events).length, 12);
      const keys = await ports.blobs.list(`results/${jobId}/`);
      assert.equal(keys.filter((k) => k.endsWith('.jpg')).length, 12);
      await assertNothingLost({ events: ports.events, queue: ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });

  describe('when the handler timeout exceeds the queue visibility timeout', () => {
    const badEnv = { HANDLER_TIMEOUT_SECONDS: '30', VISIBILITY_TIMEOUT_SECONDS: '10' };

    it('refuses to start the worker process, naming both settings', async () => {
      const run = await runToExit(
        process.execPath,
        ['--import', 'tsx', join(REPO, 'apps', 'local', 'src', 'worker-main.ts')],
        { ...badEnv, DATA_DIR: tempDir('delta-start-') },
      );
      assert.notEqual(run.code, 0);
      assert.match(run.output, /VISIBILITY_TIMEOUT_SECONDS \(10\) must be at least HANDLER_TIMEOUT_SECONDS \(30\)/);
    });

    it('refuses to start the server, with a configuration error and exit code 1', async () => {
      const run = await runToExit(process.execPath, ['--import', 'tsx', 'apps/local/src/main.ts'], {
        ...badEnv,
        PORT: '0',
        DATA_DIR: tempDir('delta-start-'),
      });
      assert.equal(run.code, 1);
      assert.match(run.output, /^configuration error: VISIBILITY_TIMEOUT_SECONDS \(10\) must be at least/m);
    });

    it('refuses to build a worker pool whose settings were not read from the environment', () => {
      const dataDir = tempDir('delta-start-');
      const ports = localPorts(loadConfig({ DATA_DIR: dataDir }));
      cleanup.push(() => ports.close());
      assert.throws(
        () =>
          new WorkerPool({
            queue: ports.queue,
            queueName: UPLOAD_QUEUE,
            handler: async () => ({ batchItemFailures: [] }),
            batchSize: 10,
            batchWindowSeconds: 0,
            maxConcurrency: 1,
            visibilityTimeoutSeconds: 10,
            handlerTimeoutSeconds: 30,
          }),
        (error: unknown) => error instanceof ConfigError && /exceeds the queue visibility timeout/.test(error.message),
      );
    });
  });
});
