import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { createJob, createWorld, type Instance, startInstance, TestClient, type World } from '../notifier/harness.js';
import { holdWriteLock } from './harness.js';

describe('a subscribed client when the event bus fails', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  describe('when the publish of the terminal event fails because another process locks the bus', () => {
    it('still sees the terminal event, from the store', async () => {
      // Prepare: a notifier, a client subscribed to a job, and the bus file locked for 7 s (busy timeout 5 s)
      const world: World = await createWorld();
      cleanup.push(() => world.close());
      const instance: Instance = await startInstance(world);
      cleanup.push(() => instance.close());
      const jobId = await createJob(world, 'alice', 2);
      const client = await TestClient.connect(instance.url, 'alice-key');
      cleanup.push(async () => client.close());
      client.subscribe(jobId, 0);
      await world.jobs.handleSource(jobId, 's1', { type: 'FailSource', reason: 'broken', attempt: 3, final: true });
      await client.untilSeq(jobId, 4);
      const lock = await holdWriteLock(world.busFile, 7000);
      cleanup.push(() => lock.release());
      // Act: the terminal event is stored; its first publish times out against the lock, which then goes
      const { events } = await world.jobs.handleJob(jobId, { type: 'GiveUpFinalising', reason: 'the test ended it' });
      const terminalSeq = events[0]?.seq ?? 0;
      await lock.release();
      // Assess
      assert.equal(terminalSeq, 5);
      await client.until((messages) => messages.some((m) => m.type === 'event' && m.seq === terminalSeq), 15_000);
      assert.deepEqual(client.seqs(jobId), [1, 2, 3, 4, 5]);
    });
  });
});
