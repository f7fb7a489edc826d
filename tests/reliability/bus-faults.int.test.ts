import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createJob, createWorld, type Instance, startInstance, TestClient, type World } from '../notifier/harness.js';
import { holdWriteLock } from './harness.js';

describe('a subscribed client when the event bus fails', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  /** A notifier, a client subscribed to a job of 4 events, and the bus file locked by another process. */
  const prepare = async (quietRefreshMs: number, lockMs: number) => {
    const world: World = await createWorld();
    cleanup.push(() => world.close());
    const instance: Instance = await startInstance(world, { quietRefreshMs });
    cleanup.push(() => instance.close());
    const jobId = await createJob(world, 'alice', 2);
    const client = await TestClient.connect(instance.url, 'alice-key');
    cleanup.push(async () => client.close());
    client.subscribe(jobId, 0);
    await world.jobs.handleSource(jobId, 's1', { type: 'FailSource', reason: 'broken', attempt: 3, final: true });
    await client.untilSeq(jobId, 4);
    const lock = await holdWriteLock(world.busFile, lockMs);
    cleanup.push(() => lock.release());
    return { world, jobId, client, lock };
  };
  const sawSeq = (seq: number) => (messages: readonly { type: string; seq?: number }[]) =>
    messages.some((m) => m.type === 'event' && m.seq === seq);

  describe('when the first publish of the terminal event times out against the lock, which then goes', () => {
    it('retries the publish, and the client sees the terminal event over the bus', async () => {
      // Prepare: the bus file locked for 7 s (busy timeout 5 s); no re-read of the store within the test
      const { world, jobId, client, lock } = await prepare(10 * 60_000, 7000);
      // Act: the terminal event is stored; its first publish times out, the retry waits out the lock
      const { events } = await world.jobs.handleJob(jobId, { type: 'GiveUpFinalising', reason: 'the test ended it' });
      await lock.release();
      // Assess: with the store never re-read, only the bus can have brought seq 5
      assert.equal(events[0]?.seq, 5);
      await client.until(sawSeq(5), 15_000);
      assert.deepEqual(client.seqs(jobId), [1, 2, 3, 4, 5]);
    });
  });

  describe('when every publish of the terminal event fails (the lock outlasts the retries)', () => {
    it('still sees the terminal event, from the store, once the job has been quiet', async () => {
      // Prepare: the lock is held until the publish has been given up; quiet jobs re-read after 1 s
      const { world, jobId, client, lock } = await prepare(1000, 60_000);
      // Act: the terminal event is stored; all three publishes time out while the lock is held
      const { events } = await world.jobs.handleJob(jobId, { type: 'GiveUpFinalising', reason: 'the test ended it' });
      await lock.release();
      // Assess: the bus never carried seq 5 (its publish was given up before the lock went)
      assert.equal(events[0]?.seq, 5);
      await client.until(sawSeq(5), 15_000);
      assert.deepEqual(client.seqs(jobId), [1, 2, 3, 4, 5]);
    });
  });
});
