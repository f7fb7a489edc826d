import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { NotifierLimits } from '@delta-augment/notifier';
import {
  appendEvents,
  createJob,
  createWorld,
  eventually,
  type Instance,
  range,
  startInstance,
  TestClient,
  type World,
} from './harness.js';

describe('notifier protection and lifecycle', () => {
  let world: World;
  let instance: Instance | undefined;
  const clients: TestClient[] = [];
  const start = async (limits?: Partial<NotifierLimits>) => {
    instance = await startInstance(world, limits);
    return instance;
  };
  const connect = async (url: string, key: string | undefined, options = {}) => {
    const client = await TestClient.connect(url, key, options);
    clients.push(client);
    return client;
  };

  beforeEach(async () => {
    world = await createWorld();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.ws.terminate();
    await instance?.close();
    instance = undefined;
    await world.close();
  });

  describe('when the upgrade request carries no valid key', () => {
    it('refuses it with HTTP 401 before upgrading', async () => {
      // Prepare
      const { url } = await start();

      // Act
      const anonymous = await TestClient.connect(url, undefined).catch((error: unknown) => error);
      const wrongKey = await TestClient.connect(url, 'nobody-key').catch((error: unknown) => error);

      // Assess
      assert.equal((anonymous as { statusCode?: number }).statusCode, 401);
      assert.equal((wrongKey as { statusCode?: number }).statusCode, 401);
      assert.equal(instance?.notifier.stats().connections, 0);
    });

    it('accepts the key in an Authorization header too', async () => {
      // Prepare
      const { url } = await start();

      // Act
      const client = await connect(url, undefined, { headers: { authorization: 'Bearer alice-key' } });

      // Assess
      assert.equal(client.ws.readyState, client.ws.OPEN);
    });
  });

  describe('when a client sends a bad message', () => {
    it('answers with an error and keeps the connection usable', async () => {
      // Prepare
      const { url } = await start();
      const jobId = await createJob(world, 'alice');
      const client = await connect(url, 'alice-key');

      // Act
      client.send('{not json');
      client.send({ type: 'dance' });
      client.send({ type: 'subscribe', jobId: 'x'.repeat(5000) });
      client.send({ type: 'subscribe', jobId, after: -1 });
      client.subscribe(jobId);
      await client.untilSeq(jobId, 1);

      // Assess
      const errors = client.messages.flatMap((m) => (m.type === 'error' ? [m.code] : []));
      assert.deepEqual(errors, ['INVALID_JSON', 'UNKNOWN_TYPE', 'MESSAGE_TOO_LARGE', 'INVALID_MESSAGE']);
      assert.deepEqual(client.seqs(jobId), [1]);
    });
  });

  describe('when a client holds its maximum of subscriptions', () => {
    it('refuses one more with TOO_MANY_SUBSCRIPTIONS', async () => {
      // Prepare
      const { url } = await start({ maxSubscriptions: 2 });
      const jobs = [await createJob(world, 'alice'), await createJob(world, 'alice'), await createJob(world, 'alice')];
      const client = await connect(url, 'alice-key');
      client.subscribe(jobs[0] ?? '');
      client.subscribe(jobs[1] ?? '');

      // Act
      client.subscribe(jobs[2] ?? '');
      const refused = await client.next('error');
      client.subscribe(jobs[0] ?? '', 1);
      const resubscribed = await client.next('subscribed', jobs[0], 3);

      // Assess
      assert.equal(refused.code, 'TOO_MANY_SUBSCRIPTIONS');
      assert.equal(refused.jobId, jobs[2]);
      assert.equal(resubscribed.after, 1);
      assert.deepEqual(instance?.notifier.stats(), { connections: 1, subscriptions: 2 });
    });
  });

  describe('when a client stops reading while events keep coming', () => {
    it('closes it with 1013 as a slow consumer', async () => {
      // Prepare
      const { url, notifier } = await start({ maxBufferedBytes: 64 * 1024 });
      const jobId = await createJob(world, 'alice');
      const client = await connect(url, 'alice-key');
      client.subscribe(jobId);
      await client.untilSeq(jobId, 1);
      const socket = (client.ws as unknown as { _socket: Socket })._socket;
      socket.pause();

      // Act: 512 KiB events until the server gives up on the client (at most 64 of them).
      const reason = 'x'.repeat(512 * 1024);
      for (let attempt = 1; attempt <= 64 && notifier.stats().connections > 0; attempt++) {
        await world.jobs.handleSource(jobId, 's1', { type: 'FailSource', reason, attempt, final: false });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const connectionsAfter = notifier.stats().connections;
      socket.resume();
      const closed = await client.closed;

      // Assess
      assert.equal(connectionsAfter, 0);
      assert.equal(closed.code, 1013);
      assert.equal(closed.reason, 'slow consumer: send buffer over 65536 bytes');
    });
  });

  describe('when a client catches up on a history larger than the send buffer limit', () => {
    it('paces the stored events instead of closing it as a slow consumer', async () => {
      // Prepare: 24 events of 256 KiB (6 MiB) against a 64 KiB send buffer limit.
      const { url } = await start({ maxBufferedBytes: 64 * 1024 });
      const jobId = await createJob(world, 'alice');
      const reason = 'y'.repeat(256 * 1024);
      for (let attempt = 1; attempt <= 24; attempt++) {
        await world.store.appendToSource(jobId, 's1', attempt - 1, [
          { type: 'SourceFailed', data: { sourceId: 's1', reason, attempt, final: false } },
        ]);
      }
      const client = await connect(url, 'alice-key');

      // Act
      client.subscribe(jobId);
      await client.untilSeq(jobId, 25);

      // Assess
      assert.deepEqual(client.seqs(jobId), range(1, 25));
      assert.equal(client.ws.readyState, client.ws.OPEN);
    });
  });

  describe('when a client stops answering pings', () => {
    it('terminates it after a missed heartbeat and keeps the answering ones', async () => {
      // Prepare
      const { url, notifier } = await start({ heartbeatMs: 100 });
      const silent = await connect(url, 'alice-key', { autoPong: false });
      const healthy = await connect(url, 'bob-key');

      // Act
      const closed = await silent.closed;
      await new Promise((resolve) => setTimeout(resolve, 250));

      // Assess
      assert.equal(closed.code, 1006);
      assert.equal(healthy.ws.readyState, healthy.ws.OPEN);
      assert.equal(notifier.stats().connections, 1);
    });
  });

  describe('when connections exceed the limits', () => {
    it('closes the one over the per-owner limit with 1013 and still takes other owners', async () => {
      // Prepare
      const { url } = await start({ maxConnectionsPerOwner: 1 });
      const first = await connect(url, 'alice-key');

      // Act
      const second = await connect(url, 'alice-key');
      const refused = await second.closed;
      const other = await connect(url, 'bob-key');

      // Assess
      assert.equal(refused.code, 1013);
      assert.equal(refused.reason, 'too many connections: 1 per owner');
      assert.equal(first.ws.readyState, first.ws.OPEN);
      assert.equal(other.ws.readyState, other.ws.OPEN);
    });

    it('closes the one over the server limit with 1013, and takes a new one once a slot is free', async () => {
      // Prepare
      const { url, notifier } = await start({ maxConnections: 2 });
      const first = await connect(url, 'alice-key');
      await connect(url, 'bob-key');

      // Act
      const third = await connect(url, 'root-key');
      const refused = await third.closed;
      first.close();
      await first.closed;
      await eventually(() => notifier.stats().connections === 1);
      const fourth = await connect(url, 'root-key');
      await new Promise((resolve) => setTimeout(resolve, 50));

      // Assess
      assert.equal(refused.code, 1013);
      assert.equal(refused.reason, 'too many connections: this server takes 2');
      assert.equal(fourth.ws.readyState, fourth.ws.OPEN);
    });
  });

  describe('when the notifier shuts down', () => {
    it('closes every client with 1001 and stops delivering', async () => {
      // Prepare
      const { url, notifier } = await start();
      const jobId = await createJob(world, 'alice');
      const subscriber = await connect(url, 'alice-key');
      const idle = await connect(url, 'bob-key');
      subscriber.subscribe(jobId);
      await subscriber.untilSeq(jobId, 1);

      // Act
      await notifier.close();
      const [a, b] = await Promise.all([subscriber.closed, idle.closed]);
      await appendEvents(world, jobId, 1);

      // Assess
      assert.deepEqual(a, { code: 1001, reason: 'server shutting down' });
      assert.deepEqual(b, { code: 1001, reason: 'server shutting down' });
      assert.deepEqual(notifier.stats(), { connections: 0, subscriptions: 0 });
      assert.deepEqual(subscriber.seqs(jobId), [1]);
    });
  });
});
