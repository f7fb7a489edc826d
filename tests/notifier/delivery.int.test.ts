import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  appendEvents,
  createJob,
  createWorld,
  type Instance,
  range,
  startedBody,
  startInstance,
  TestClient,
  type World,
} from './harness.js';

describe('notifier event delivery', () => {
  let world: World;
  let instance: Instance;
  const clients: TestClient[] = [];
  const connect = async (key: string) => {
    const client = await TestClient.connect(instance.url, key);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    world = await createWorld();
    instance = await startInstance(world);
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await instance.close();
    await world.close();
  });

  describe('when a client subscribes to a job that has history', () => {
    it('acknowledges, sends the stored events, then the live ones, in seq order', async () => {
      // Prepare
      const jobId = await createJob(world, 'alice', 3);
      const client = await connect('alice-key');

      // Act
      client.subscribe(jobId);
      await client.untilSeq(jobId, 4);
      await appendEvents(world, jobId, 3);
      await client.untilSeq(jobId, 7);

      // Assess
      assert.deepEqual(client.messages[0], { type: 'subscribed', jobId, after: 0 });
      assert.deepEqual(client.seqs(jobId), range(1, 7));
      const stored = await world.store.read(jobId);
      const sent = client.messages.flatMap((m) => (m.type === 'event' ? [m.event] : []));
      assert.deepEqual(sent, stored);
    });
  });

  describe('when a client reconnects with the last seq it saw', () => {
    it('sends exactly the events after it, with none missing or repeated, while events keep coming', async () => {
      // Prepare
      const jobId = await createJob(world, 'alice', 4);
      const first = await connect('alice-key');
      first.subscribe(jobId);
      await appendEvents(world, jobId, 10);
      await first.untilSeq(jobId, 10);
      first.close();
      await first.closed;
      const lastSeen = Math.max(...first.seqs(jobId));

      // Act: reconnect while 30 more events are being appended.
      const producing = (async () => {
        for (let i = 0; i < 30; i++) {
          await appendEvents(world, jobId, 1);
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      const second = await connect('alice-key');
      second.subscribe(jobId, lastSeen);
      await producing;
      await second.untilSeq(jobId, 45);
      await new Promise((resolve) => setTimeout(resolve, 50));

      // Assess
      assert.deepEqual(first.seqs(jobId), range(1, lastSeen));
      assert.deepEqual(second.seqs(jobId), range(lastSeen + 1, 45));
      assert.deepEqual(second.messages[0], { type: 'subscribed', jobId, after: lastSeen });
    });
  });

  describe('when the bus misses an event', () => {
    it('fills the gap from the store before sending the next live event', async () => {
      // Prepare
      const jobId = await createJob(world, 'alice', 1);
      const client = await connect('alice-key');
      client.subscribe(jobId);
      await client.untilSeq(jobId, 2);

      // Act: seq 3 is appended but never published; seq 4 is appended and published.
      await world.store.appendToSource(jobId, 's1', 1, [startedBody(3)]);
      const {
        events: [fourth],
      } = await world.store.appendToSource(jobId, 's1', 2, [startedBody(4)]);
      assert.ok(fourth);
      await world.bus.publish([fourth]);
      await client.untilSeq(jobId, 4);

      // Assess
      assert.deepEqual(client.seqs(jobId), [1, 2, 3, 4]);
    });

    it('re-reads a quiet unfinished job, so the last event reaches the client even if it was never published', async () => {
      // Prepare: an instance that re-reads jobs quiet for 200 ms
      await instance.close();
      instance = await startInstance(world, { quietRefreshMs: 200 });
      const jobId = await createJob(world, 'alice', 1);
      const client = await connect('alice-key');
      client.subscribe(jobId);
      await client.untilSeq(jobId, 2);

      // Act: the job's next event is appended but its publish is lost
      await world.store.appendToSource(jobId, 's1', 1, [startedBody(3)]);

      // Assess
      await client.untilSeq(jobId, 3);
      assert.deepEqual(client.seqs(jobId), [1, 2, 3]);
    });
  });

  describe('when a client subscribes to "*"', () => {
    it('sends live events of its own jobs only, from the moment it subscribed', async () => {
      // Prepare: an earlier "*" subscriber shows when the bus has delivered the jobs' first events.
      const early = await connect('alice-key');
      early.subscribe('*');
      await early.next('subscribed', '*');
      const own = await createJob(world, 'alice');
      const other = await createJob(world, 'bob');
      await early.untilSeq(own, 1);
      const client = await connect('alice-key');
      client.subscribe('*');
      await client.next('subscribed', '*');

      // Act
      await appendEvents(world, other, 2);
      await appendEvents(world, own, 2);
      const created = await createJob(world, 'alice', 1);
      await client.untilSeq(created, 2);
      await early.untilSeq(created, 2);

      // Assess
      assert.deepEqual(client.messages[0], { type: 'subscribed', jobId: '*', after: null });
      assert.deepEqual(client.seqs(own), [2, 3]);
      assert.deepEqual(client.seqs(created), [1, 2]);
      assert.deepEqual(client.seqs(other), []);
      assert.deepEqual(early.seqs(own), [1, 2, 3]);
      assert.deepEqual(early.seqs(other), []);
    });
  });

  describe("when a client subscribes to another owner's job", () => {
    it('answers NOT_FOUND exactly as for a job that does not exist', async () => {
      // Prepare
      const jobId = await createJob(world, 'bob', 1);
      const client = await connect('alice-key');

      // Act
      client.subscribe(jobId);
      const forbidden = await client.next('error', jobId);
      client.subscribe('job-that-does-not-exist');
      const missing = await client.next('error', 'job-that-does-not-exist');
      await appendEvents(world, jobId, 1);
      await new Promise((resolve) => setTimeout(resolve, 100));

      // Assess
      assert.equal(forbidden.code, 'NOT_FOUND');
      assert.equal(missing.code, 'NOT_FOUND');
      assert.equal(forbidden.message.replace(jobId, 'ID'), missing.message.replace('job-that-does-not-exist', 'ID'));
      assert.deepEqual(client.seqs(jobId), []);
    });

    it('lets an admin subscribe to it', async () => {
      // Prepare
      const jobId = await createJob(world, 'bob', 1);
      const admin = await connect('root-key');

      // Act
      admin.subscribe(jobId);
      await admin.untilSeq(jobId, 2);

      // Assess
      assert.deepEqual(admin.seqs(jobId), [1, 2]);
    });
  });

  describe('when a client unsubscribes', () => {
    it('stops sending that job', async () => {
      // Prepare
      const jobId = await createJob(world, 'alice');
      const marker = await createJob(world, 'alice');
      const client = await connect('alice-key');
      client.subscribe(jobId);
      client.subscribe(marker);
      await client.untilSeq(marker, 1);

      // Act
      client.send({ type: 'unsubscribe', jobId });
      await client.next('unsubscribed', jobId);
      await appendEvents(world, jobId, 2);
      await appendEvents(world, marker, 1);
      await client.untilSeq(marker, 2);

      // Assess
      assert.deepEqual(client.seqs(jobId), [1]);
      assert.deepEqual(instance.notifier.stats(), { connections: 1, subscriptions: 1 });
    });
  });
});
