import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { blobKeys, systemClock, TERMINAL_EVENT_TYPES } from '@delta-augment/core';
import { reconcile } from '@delta-augment/gateway';
import { DEAD_LETTER_QUEUE, JobService, loadConfig, UPLOAD_QUEUE } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import { gradientJpeg } from '../helpers/images.js';
import { firstSource, seedJob } from '../helpers/jobs.js';
import { REPO, tempDir, waitFor } from '../helpers/server.js';
import { spawnWorker } from './harness.js';
import { assertNothingLost, checkNothingLost } from './invariants.js';

const KILLING_WORKER = join(REPO, 'tests', 'reliability', 'fixtures', 'archive-killing-worker.ts');
const MAX_RECEIVES = 2;

describe('a job whose finalisation dies at every attempt (the worker killed while it writes the archive)', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('ends failed once, with a reason naming the finalisation; a redrive of its dead letter changes nothing', async () => {
    // Prepare: real SQLite/fs ports on a fresh data dir, one source, two receives allowed
    const dataDir = tempDir('delta-finalise-');
    const env = {
      MAX_RECEIVE_COUNT: String(MAX_RECEIVES),
      HANDLER_TIMEOUT_SECONDS: '20',
      VISIBILITY_TIMEOUT_SECONDS: '20',
    };
    const ports = localPorts(loadConfig({ DATA_DIR: dataDir, ...env }));
    const jobs = new JobService(ports.events, ports.bus);
    cleanup.push(() => ports.close());
    const { jobId } = await seedJob({ jobs, ports }, [{ name: 'a.jpg', data: await gradientJpeg(200, 150) }], {
      variants: 2,
    });

    // Act: each attempt is a real worker process that renders (or finds the source done) and is killed -9 the
    // moment it starts the archive; its lease is released as the local stack does when it finds its owner dead
    for (let attempt = 1; attempt <= MAX_RECEIVES; attempt++) {
      const worker = await spawnWorker(dataDir, { entry: KILLING_WORKER, env });
      cleanup.push(() => worker.kill9());
      const exit = await Promise.race([worker.exited, sleep(60_000, undefined, { ref: false })]);
      assert.equal(exit?.signal, 'SIGKILL', `attempt ${attempt} died writing the archive:\n${worker.output()}`);
      assert.match(worker.output(), /killed while writing results\/.*\/archive\.zip/);
      ports.queue.releaseInFlight();
    }
    // The next receive moves the message to the DLQ, with no handler to record anything
    assert.deepEqual(await ports.queue.receive(UPLOAD_QUEUE, { visibilityTimeoutSeconds: 0 }), []);
    const [dead] = await ports.queue.peek(DEAD_LETTER_QUEUE);
    assert.ok(dead, 'the message is in the DLQ');
    assert.equal((await firstSource(jobs, jobId))?.status, 'completed', 'the source itself completed');
    assert.equal((await jobs.load(jobId))?.status, 'processing');
    const before = await checkNothingLost({
      events: ports.events,
      queue: ports.queue,
      jobIds: [jobId],
      requireTerminal: true,
    });
    assert.deepEqual(before.violations.map((v) => v.rule).sort(), ['dlq-unrecorded', 'not-terminal']);

    // Act: the reconciler's pass, as the local stack runs it (its finalisation would die the same way here)
    const finalisedHere: string[] = [];
    const deps = {
      ports,
      jobs,
      clock: systemClock,
      resend: async (key: string) => assert.fail(`nothing is resent (${key})`),
      finalise: async (id: string) => {
        finalisedHere.push(id);
        throw new Error('JavaScript heap out of memory');
      },
    };
    const report = await reconcile(deps, 900_000);
    const again = await reconcile(deps, 0);

    // Assess: failed once, with the reason; the finalisation that died was not run again; the message kept
    assert.equal(report.unfinalised, 1);
    assert.equal(again.unfinalised, 0, 'a job already ended is left alone');
    assert.deepEqual(finalisedHere, []);
    const job = await jobs.load(jobId);
    assert.equal(job?.status, 'failed');
    assert.match(
      job?.failure ?? '',
      /^the job could not be finalised after 2 attempts: the last attempt to write its archive did not finish/,
    );
    assert.equal(await ports.blobs.head(blobKeys.archive(jobId)), undefined);
    const ended = await ports.events.read(jobId);
    assert.deepEqual(
      ended.filter((e) => TERMINAL_EVENT_TYPES.includes(e.type)).map((e) => e.type),
      ['JobFailed'],
    );
    await assertNothingLost({
      events: ports.events,
      queue: ports.queue,
      jobIds: [jobId],
      requireTerminal: true,
      expectQueued: [dead.messageId],
    });

    // Act: the operator redrives the dead letter to a real worker
    await ports.queue.redrive(DEAD_LETTER_QUEUE, { messageIds: [dead.messageId] });
    const worker = await spawnWorker(dataDir, { env });
    cleanup.push(() => worker.stop());
    await waitFor(
      async () =>
        (await ports.queue.stats(UPLOAD_QUEUE)).visible + (await ports.queue.stats(UPLOAD_QUEUE)).inFlight === 0
          ? true
          : undefined,
      60_000,
      'the worker to take and acknowledge the redriven message',
    );

    // Assess: nothing appended (no second terminal event), the worker still running, nothing lost
    assert.deepEqual(await ports.events.read(jobId), ended);
    assert.equal(worker.child.exitCode, null, `the worker is still running:\n${worker.output()}`);
    await assertNothingLost({ events: ports.events, queue: ports.queue, jobIds: [jobId], requireTerminal: true });
  });
});
