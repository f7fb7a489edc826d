import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { afterEach, describe, it } from 'node:test';
import { finaliseJob, type SQSHandler } from '@delta-augment/augmenter';
import { type JobEvent, systemClock } from '@delta-augment/core';
import { reconcile } from '@delta-augment/gateway';
import { DEAD_LETTER_QUEUE, RedriveTask, UPLOAD_QUEUE } from '@delta-augment/ports';
import { gradientJpeg } from '../helpers/images.js';
import { firstSource, seedJob, variantIndices } from '../helpers/jobs.js';
import { waitFor } from '../helpers/server.js';
import { assertNothingLost, checkNothingLost } from './invariants.js';
import { eventOf, queueDrained, type Stage, stage } from './pool.js';

const count = (events: readonly JobEvent[], type: JobEvent['type']) => events.filter((e) => e.type === type).length;

const terminal = (s: Stage, jobId: string) => async () => {
  const state = await s.jobs.load(jobId);
  return state?.status === 'completed' || state?.status === 'failed' ? state : undefined;
};

/**
 * A one-source job whose two allowed attempts each died after starting the source (the lease lapses at once), and
 * whose message the next receive moved to the DLQ with no handler running.
 */
const killedAtEveryAttempt = async (s: Stage) => {
  const { jobId, refs } = await seedJob(s, [{ name: 'a.jpg', data: await gradientJpeg(200, 150) }], {
    variants: 2,
  });
  const sourceId = refs[0]?.sourceId ?? '';
  for (const attempt of [1, 2]) {
    const [message] = await s.ports.queue.receive(UPLOAD_QUEUE, { visibilityTimeoutSeconds: 0 });
    assert.ok(message, `attempt ${attempt} receives the message`);
    await s.jobs.handleSource(jobId, sourceId, { type: 'StartSource', attempt });
  }
  assert.deepEqual(await s.ports.queue.receive(UPLOAD_QUEUE, { visibilityTimeoutSeconds: 0 }), []);
  const [dead] = await s.ports.queue.peek(DEAD_LETTER_QUEUE);
  assert.ok(dead, 'the message is in the DLQ');
  return { jobId, dead };
};

describe('handler and queue faults, with the real handler and the local queue', () => {
  const stages: Stage[] = [];
  const open = (env: Record<string, string> = {}) => {
    const s = stage(env);
    stages.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of stages.splice(0)) await s.close();
  });

  describe('when the same message is delivered to two workers at once', () => {
    it('produces one set of outputs and events, and only the current receipt deletes it', async () => {
      // Prepare: worker A's lease lapses at once (visibility 0), so worker B, on its own connections, gets it too
      const s = open({ VISIBILITY_TIMEOUT_SECONDS: '30', HANDLER_TIMEOUT_SECONDS: '30' });
      const b = s.reopen();
      const { jobId } = await seedJob(s, [{ name: 'a.jpg', data: await gradientJpeg(200, 150) }], { variants: 4 });
      const [first] = await s.ports.queue.receive(UPLOAD_QUEUE, { visibilityTimeoutSeconds: 0 });
      const [second] = await b.ports.queue.receive(UPLOAD_QUEUE, { visibilityTimeoutSeconds: 30 });
      assert.ok(first && second, 'both workers hold the message');
      assert.equal(first.messageId, second.messageId);
      assert.equal(second.attributes.ApproximateReceiveCount, '2');
      // Act: both handlers run at the same time, each on its own store connections
      const [responseA, responseB] = await Promise.all([
        s.handler()(eventOf([first])),
        s.handler(b.jobs, b.ports)(eventOf([second])),
      ]);
      await s.ports.queue.delete(UPLOAD_QUEUE, first.receiptHandle);
      const afterStaleDelete = await s.ports.queue.peek(UPLOAD_QUEUE);
      await b.ports.queue.delete(UPLOAD_QUEUE, second.receiptHandle);
      // Assess
      assert.deepEqual(responseA.batchItemFailures, []);
      assert.deepEqual(responseB.batchItemFailures, []);
      assert.equal(afterStaleDelete.length, 1, 'the lapsed receipt deletes nothing');
      const events = await s.ports.events.read(jobId);
      assert.equal(variantIndices(events).length, 4);
      assert.equal(count(events, 'SourceCompleted'), 1);
      assert.equal(count(events, 'JobCompleted'), 1);
      assert.equal((await s.ports.blobs.list(`results/${jobId}/`)).filter((k) => k.endsWith('.jpg')).length, 4);
      await assertNothingLost({ events: s.ports.events, queue: s.ports.queue, jobIds: [jobId], requireTerminal: true });
      assert.equal((await s.ports.queue.peek(UPLOAD_QUEUE)).length, 0);
    });
  });

  describe('when a handler exceeds its timeout', () => {
    it('retries the batch, resumes where the last attempt stopped, and completes the job once', async () => {
      // Prepare: a 0.3 s handler timeout against a source whose 16 variants take several times that
      const s = open({ VISIBILITY_TIMEOUT_SECONDS: '1', HANDLER_TIMEOUT_SECONDS: '1', MAX_RECEIVE_COUNT: '20' });
      const variants = 16;
      const { jobId } = await seedJob(s, [{ name: 'big.jpg', data: await gradientJpeg(1600, 1200) }], { variants });
      // Act
      s.pool(undefined, { handlerTimeoutSeconds: 0.3 }).start();
      const state = await waitFor(terminal(s, jobId), 90_000, 'the job to end');
      await waitFor(() => queueDrained(s.ports), 10_000, 'the queue to drain');
      // Assess
      const events = await s.ports.events.read(jobId);
      const timedOut = events.filter((e) => e.type === 'SourceFailed' && /ran out of time/.test(e.data.reason));
      assert.ok(timedOut.length >= 1, 'an attempt was cut short by the timeout and recorded as retryable');
      assert.ok(timedOut.every((e) => e.type === 'SourceFailed' && !e.data.final));
      assert.equal(state.status, 'completed');
      const indices = variantIndices(events);
      assert.equal(indices.length, variants, 'no variant is recorded twice');
      assert.equal(new Set(indices).size, variants);
      await assertNothingLost({ events: s.ports.events, queue: s.ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });

  describe('when a batch response names an unknown message id', () => {
    it('retries every record of the batch, as Lambda does, and the redelivery changes nothing', async () => {
      // Prepare: three uploads, gathered into one batch
      const s = open({ VISIBILITY_TIMEOUT_SECONDS: '1', HANDLER_TIMEOUT_SECONDS: '1' });
      const jobIds: string[] = [];
      for (const name of ['a.jpg', 'b.jpg', 'c.jpg']) {
        jobIds.push((await seedJob(s, [{ name, data: await gradientJpeg() }], { variants: 2 })).jobId);
      }
      const real = s.handler();
      const receives = new Map<string, number>();
      let invocations = 0;
      const wrong: SQSHandler = async (event, context) => {
        invocations += 1;
        for (const r of event.Records) receives.set(r.messageId, Number(r.attributes.ApproximateReceiveCount));
        const response = await real(event, context);
        return invocations === 1
          ? { batchItemFailures: [...response.batchItemFailures, { itemIdentifier: 'no-such-message' }] }
          : response;
      };
      // Act
      s.pool(wrong, { batchWindowSeconds: 1 }).start();
      await waitFor(() => queueDrained(s.ports), 20_000, 'the queue to drain');
      // Assess
      assert.equal(receives.size, 3);
      assert.deepEqual([...receives.values()], [2, 2, 2], 'each record of the batch came back once');
      for (const jobId of jobIds) {
        const events = await s.ports.events.read(jobId);
        assert.equal(variantIndices(events).length, 2);
        assert.equal(count(events, 'JobCompleted'), 1);
      }
      await assertNothingLost({ events: s.ports.events, queue: s.ports.queue, jobIds, requireTerminal: true });
    });
  });

  describe('when a message is poison', () => {
    it('moves it after maxReceiveCount receives to the DLQ, byte-identical, and records the dead-lettering', async () => {
      // Prepare: an unreadable body, and a source whose object path is a directory (EISDIR on every read)
      const s = open({ VISIBILITY_TIMEOUT_SECONDS: '1', HANDLER_TIMEOUT_SECONDS: '1', MAX_RECEIVE_COUNT: '3' });
      const garbage = 'not json: a b+c%ü.jpg \t\n 🐞 \u00e9\u0301 %2F%00 <x>';
      const { messageId: garbageId } = await s.ports.queue.send(UPLOAD_QUEUE, garbage);
      const { jobId, refs } = await seedJob(s, [{ name: 'a b+c%ü.jpg', data: await gradientJpeg() }]);
      const key = refs[0]?.key ?? '';
      rmSync(s.blobPath(key));
      mkdirSync(s.blobPath(key));
      const [sourceMessage] = await s.ports.queue.peek(UPLOAD_QUEUE, { max: 10 }).then((m) => m.slice(1));
      assert.ok(sourceMessage);
      // Act
      s.pool().start();
      const dead = await waitFor(
        async () => {
          const messages = await s.ports.queue.peek(DEAD_LETTER_QUEUE);
          return messages.length === 2 ? messages : undefined;
        },
        30_000,
        'both messages in the DLQ',
      );
      // Assess
      const byId = new Map(dead.map((m) => [m.messageId, m]));
      assert.ok(
        Buffer.from(byId.get(garbageId)?.body ?? '').equals(Buffer.from(garbage)),
        'the garbage body is intact',
      );
      assert.ok(Buffer.from(byId.get(sourceMessage.messageId)?.body ?? '').equals(Buffer.from(sourceMessage.body)));
      assert.deepEqual(
        dead.map((m) => m.receiveCount),
        [3, 3],
      );
      const state = await s.jobs.load(jobId);
      const source = await firstSource(s.jobs, jobId);
      assert.equal(source?.status, 'dead-lettered');
      assert.equal(state?.status, 'failed');
      assert.match(source?.failure ?? '', /after 3 attempts: .*EISDIR/);
      await assertNothingLost({
        events: s.ports.events,
        queue: s.ports.queue,
        jobIds: [jobId],
        requireTerminal: true,
        expectQueued: [garbageId, sourceMessage.messageId],
      });
    });
  });

  describe("when a worker is killed during a message's last attempt", () => {
    it('leaves the dead letter unrecorded until the reconciler records it and ends the job; a redrive completes it', async () => {
      // Prepare: two receives allowed; a worker takes the message twice and dies both times after starting the
      // source (its lease lapses at once), so the next receive moves the message to the DLQ with no handler running
      const s = open({ MAX_RECEIVE_COUNT: '2' });
      const { jobId, dead } = await killedAtEveryAttempt(s);
      const before = await checkNothingLost({
        events: s.ports.events,
        queue: s.ports.queue,
        jobIds: [jobId],
        requireTerminal: true,
      });
      assert.deepEqual(before.violations.map((v) => v.rule).sort(), ['dlq-unrecorded', 'not-terminal']);

      // Act: one reconciler pass, with the grace of the local stack (a dead letter needs none)
      const report = await reconcile(
        {
          ports: s.ports,
          jobs: s.jobs,
          clock: systemClock,
          resend: async (key) => assert.fail(`nothing is resent (${key})`),
          finalise: (id) => finaliseJob({ blobs: s.ports.blobs, jobs: s.jobs }, id),
        },
        900_000,
      );

      // Assess: recorded with its reason, the job ended, the message kept for a redrive
      assert.equal(report.deadLettered, 1);
      const source = await firstSource(s.jobs, jobId);
      assert.equal(source?.status, 'dead-lettered');
      assert.match(source?.failure ?? '', /^after 2 attempts: the last attempt did not finish/);
      assert.equal((await s.jobs.load(jobId))?.status, 'failed');
      await assertNothingLost({
        events: s.ports.events,
        queue: s.ports.queue,
        jobIds: [jobId],
        requireTerminal: true,
        expectQueued: [dead.messageId],
      });
      const again = await reconcile(
        { ports: s.ports, jobs: s.jobs, clock: systemClock, resend: async () => undefined },
        0,
      );
      assert.equal(again.deadLettered, 0, 'a recorded dead letter is left alone');

      // Act: the operator redrives it
      await s.ports.queue.redrive(DEAD_LETTER_QUEUE, { messageIds: [dead.messageId] });
      s.pool().start();

      // Assess
      await waitFor(
        async () => ((await s.jobs.load(jobId))?.status === 'completed' ? true : undefined),
        30_000,
        'the redriven job completed',
      );
      await assertNothingLost({ events: s.ports.events, queue: s.ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });

  describe("when the reconciler's own finalisation of a job it settled fails", () => {
    it('fails the job once with the reason instead of retrying it at every pass', async () => {
      // Prepare: the last attempt died unrecorded (as above), and the archive cannot be written
      const s = open({ MAX_RECEIVE_COUNT: '2' });
      const { jobId } = await killedAtEveryAttempt(s);
      const deps = {
        ports: s.ports,
        jobs: s.jobs,
        clock: systemClock,
        resend: async (key: string) => assert.fail(`nothing is resent (${key})`),
        finalise: async () => {
          throw new Error('the results folder is not writable');
        },
      };

      // Act: two passes
      const first = await reconcile(deps, 900_000);
      const second = await reconcile(deps, 0);

      // Assess: dead-lettered, then the job failed with the finalisation's reason, once
      assert.equal(first.deadLettered, 1);
      assert.equal(second.deadLettered + second.unfinalised, 0);
      const job = await s.jobs.load(jobId);
      assert.equal(job?.status, 'failed');
      assert.equal(job?.failure, 'the job could not be finalised: the results folder is not writable');
      assert.equal(count(await s.ports.events.read(jobId), 'JobFailed'), 1);
      await assertNothingLost({ events: s.ports.events, queue: s.ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });

  describe('when a DLQ redrive is started, cancelled midway and started again', () => {
    const deadLetter = async (s: Stage, n: number) => {
      const sent = new Map<string, string>();
      for (let i = 0; i < n; i++) {
        const body = JSON.stringify({ n: i, key: `a b+c%ü-${i}.jpg` });
        sent.set((await s.ports.queue.send(UPLOAD_QUEUE, body)).messageId, body);
      }
      // maxReceiveCount 1: a received message goes to the DLQ on the next receive
      while ((await s.ports.queue.stats(DEAD_LETTER_QUEUE)).visible < n) {
        await s.ports.queue.receive(UPLOAD_QUEUE, { maxMessages: 10, visibilityTimeoutSeconds: 0 });
      }
      return sent;
    };

    it('moves every message exactly once, in batches, and stops between batches', async () => {
      // Prepare
      const s = open({ MAX_RECEIVE_COUNT: '1' });
      const sent = await deadLetter(s, 25);
      const seen: number[] = [];
      const task: RedriveTask = new RedriveTask(s.ports.queue, DEAD_LETTER_QUEUE, {
        batchSize: 5,
        onBatch: (status) => {
          seen.push(status.moved);
          if (status.moved === 10) task.cancel();
        },
      });
      // Act
      const first = task.start();
      assert.equal(task.start(), first, 'starting a running task joins its run');
      const cancelled = await first;
      const midway = {
        uploads: (await s.ports.queue.stats(UPLOAD_QUEUE)).visible,
        dlq: (await s.ports.queue.stats(DEAD_LETTER_QUEUE)).visible,
      };
      const completed = await task.start();
      // Assess
      assert.deepEqual(cancelled, { state: 'cancelled', moved: 10, remaining: 15, error: undefined });
      assert.deepEqual(midway, { uploads: 10, dlq: 15 });
      assert.equal(completed.state, 'completed');
      assert.equal(completed.moved, 25);
      assert.equal(completed.remaining, 0);
      assert.deepEqual(seen, [5, 10, 15, 20, 25, 25]);
      const back = await s.ports.queue.peek(UPLOAD_QUEUE, { max: 100 });
      assert.equal(back.length, 25);
      assert.deepEqual(new Set(back.map((m) => m.messageId)), new Set(sent.keys()), 'no message lost or duplicated');
      for (const m of back) {
        assert.equal(m.body, sent.get(m.messageId));
        assert.equal(m.receiveCount, 0);
      }
    });

    it('moves only the listed ids when given them, however far back they are', async () => {
      const s = open({ MAX_RECEIVE_COUNT: '1' });
      const ids = [...(await deadLetter(s, 12)).keys()];
      const wanted = [ids[11], ids[3], ids[7]].map(String);
      const task = new RedriveTask(s.ports.queue, DEAD_LETTER_QUEUE, { batchSize: 2, messageIds: wanted });
      const status = await task.start();
      assert.deepEqual(status, { state: 'completed', moved: 3, remaining: 0, error: undefined });
      const back = await s.ports.queue.peek(UPLOAD_QUEUE);
      assert.deepEqual(new Set(back.map((m) => m.messageId)), new Set(wanted));
      assert.equal((await s.ports.queue.stats(DEAD_LETTER_QUEUE)).visible, 9);
    });
  });

  describe('when purge is called twice in quick succession', () => {
    it('succeeds both times; the worker holding a purged message finishes it and keeps working', async () => {
      // Prepare: job A is in flight (its source takes a while), job B waits in the queue
      const s = open({ VISIBILITY_TIMEOUT_SECONDS: '30', HANDLER_TIMEOUT_SECONDS: '30' });
      const a = await seedJob(s, [{ name: 'a.jpg', data: await gradientJpeg(1200, 900) }], { variants: 6 });
      const b = await seedJob(s, [{ name: 'b.jpg', data: await gradientJpeg() }], { variants: 2 });
      s.pool(undefined, { batchSize: 1 }).start();
      await waitFor(
        async () => ((await s.ports.queue.stats(UPLOAD_QUEUE)).inFlight === 1 ? true : undefined),
        10_000,
        'job A in flight',
      );
      // Act
      await Promise.all([s.ports.queue.purge(UPLOAD_QUEUE), s.ports.queue.purge(UPLOAD_QUEUE)]);
      await s.ports.queue.purge(UPLOAD_QUEUE);
      const c = await seedJob(s, [{ name: 'c.jpg', data: await gradientJpeg() }], { variants: 2 });
      // Assess
      assert.equal((await waitFor(terminal(s, c.jobId), 30_000, 'job C')).status, 'completed', 'the pool still works');
      assert.equal((await waitFor(terminal(s, a.jobId), 30_000, 'job A')).status, 'completed');
      // Purging drops work on purpose: the checker names the job whose message was purged before it ran.
      const report = await checkNothingLost({
        events: s.ports.events,
        queue: s.ports.queue,
        jobIds: [a.jobId, b.jobId, c.jobId],
      });
      assert.deepEqual(
        report.violations.map((v) => [v.rule, v.jobId]),
        [['message-lost', b.jobId]],
      );
      assert.equal((await s.ports.queue.stats(UPLOAD_QUEUE)).visible, 0);
    });
  });
});
