import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  appendEvents,
  createJob,
  createWorld,
  type Instance,
  startInstance,
  TestClient,
  type World,
} from './harness.js';

describe('notifier fan-out across instances', () => {
  let world: World;
  const instances: Instance[] = [];
  const clients: TestClient[] = [];

  beforeEach(async () => {
    world = await createWorld();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const instance of instances.splice(0)) await instance.close();
    await world.close();
  });

  describe('when two notifier instances share the bus and an event is published by a third party', () => {
    it('reaches the subscribers of both instances', async () => {
      // Prepare: each instance has its own HTTP server and its own bus instance on the shared file.
      instances.push(await startInstance(world), await startInstance(world));
      const [one, two] = instances;
      assert.ok(one && two);
      const jobId = await createJob(world, 'alice');
      const onOne = await TestClient.connect(one.url, 'alice-key');
      const onTwo = await TestClient.connect(two.url, 'alice-key');
      const wildcardOnTwo = await TestClient.connect(two.url, 'alice-key');
      clients.push(onOne, onTwo, wildcardOnTwo);
      onOne.subscribe(jobId);
      onTwo.subscribe(jobId);
      wildcardOnTwo.subscribe('*');
      await Promise.all([onOne.untilSeq(jobId, 1), onTwo.untilSeq(jobId, 1), wildcardOnTwo.next('subscribed', '*')]);

      // Act: the producer's bus is a third instance on the same file.
      await appendEvents(world, jobId, 3);
      await Promise.all([onOne.untilSeq(jobId, 4), onTwo.untilSeq(jobId, 4), wildcardOnTwo.untilSeq(jobId, 4)]);

      // Assess
      assert.deepEqual(onOne.seqs(jobId), [1, 2, 3, 4]);
      assert.deepEqual(onTwo.seqs(jobId), [1, 2, 3, 4]);
      assert.deepEqual(wildcardOnTwo.seqs(jobId), [2, 3, 4]);
    });
  });
});
