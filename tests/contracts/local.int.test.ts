import assert from 'node:assert/strict';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TransientError } from '../../packages/core/src/errors.js';
import type { JobEvent } from '../../packages/core/src/jobs/events.js';
import { decodeS3Key, parseS3Notification } from '../../packages/core/src/s3-event.js';
import { LocalBlobStore, verifyBlobUrl } from '../../packages/ports/src/blob-store/local.js';
import { SqliteEventBus } from '../../packages/ports/src/event-bus/local.js';
import { SqliteJobEventStore } from '../../packages/ports/src/job-event-store/local.js';
import { SqliteWorkQueue } from '../../packages/ports/src/work-queue/local.js';
import { describeBlobStoreContract, type SignedResponse } from './blob-store.contract.js';
import { describeEventBusContract, streamOf } from './event-bus.contract.js';
import { TestClock } from './helpers/clock.js';
import { tempDir } from './helpers/temp-dir.js';
import { waitFor } from './helpers/wait.js';
import { describeJobEventStoreContract } from './job-event-store.contract.js';
import { contractQueueConfig, describeWorkQueueContract, SOURCE } from './work-queue.contract.js';

const SIGNED_BASE = 'http://127.0.0.1:8080/blobs';
const SECRET = 'contract-test-signing-secret';

/** The local blob store with notifications to a SQLite work queue, all in a fresh temp dir. */
const localBlobs = async () => {
  const { dir, remove } = await tempDir('blobs');
  const clock = new TestClock();
  const queue = new SqliteWorkQueue(join(dir, 'queue.sqlite'), contractQueueConfig(), clock);
  const store = new LocalBlobStore({
    root: join(dir, 'blobs'),
    bucket: 'local-bucket',
    signedUrlBase: SIGNED_BASE,
    signingSecret: SECRET,
    notify: { prefix: 'sources/', queue: SOURCE, workQueue: queue },
    clock,
  });
  /** What the gateway's blob route does with a signed URL: check it, then read or write the object. */
  const openSignedUrl = async (
    url: string,
    request?: { method: 'PUT'; body: Buffer; contentType: string },
  ): Promise<SignedResponse> => {
    const parsed = new URL(url);
    assert.ok(url.startsWith(`${SIGNED_BASE}/`), `${url} is under the gateway's blob route`);
    const key = parsed.pathname
      .slice(new URL(SIGNED_BASE).pathname.length + 1)
      .split('/')
      .map(decodeURIComponent)
      .join('/');
    const method = request?.method ?? 'GET';
    const verdict = verifyBlobUrl(
      SECRET,
      {
        method,
        key,
        expires: Number(parsed.searchParams.get('expires')),
        signature: parsed.searchParams.get('signature') ?? '',
        contentType: parsed.searchParams.get('contentType') ?? '',
      },
      clock.now(),
    );
    if (verdict !== 'ok') return { status: 403, body: Buffer.from(verdict) };
    if (request) {
      await store.put(key, request.body, { contentType: request.contentType });
      return { status: 200, body: Buffer.alloc(0) };
    }
    return { status: 200, body: await store.getBuffer(key) };
  };
  return {
    store,
    queue,
    clock,
    openSignedUrl,
    cleanup: async () => {
      await queue.close();
      await remove();
    },
  };
};

describeBlobStoreContract('LocalBlobStore', localBlobs);

describeJobEventStoreContract('SqliteJobEventStore', async () => {
  const { dir, remove } = await tempDir('events');
  const clock = new TestClock();
  const store = new SqliteJobEventStore(join(dir, 'events.sqlite'), clock);
  return {
    store,
    clock,
    cleanup: async () => {
      await store.close();
      await remove();
    },
  };
});

describeWorkQueueContract('SqliteWorkQueue', async () => {
  const { dir, remove } = await tempDir('queue');
  const clock = new TestClock();
  const queue = new SqliteWorkQueue(join(dir, 'queue.sqlite'), contractQueueConfig(), clock);
  return {
    queue,
    clock,
    limits: {},
    cleanup: async () => {
      await queue.close();
      await remove();
    },
  };
});

describeEventBusContract('SqliteEventBus', async () => {
  const { dir, remove } = await tempDir('bus');
  const bus = new SqliteEventBus(join(dir, 'bus.sqlite'), 5);
  return {
    bus,
    cleanup: async () => {
      await bus.close();
      await remove();
    },
  };
});

describe('LocalBlobStore, beyond the contract', () => {
  let fx: Awaited<ReturnType<typeof localBlobs>>;
  beforeEach(async () => {
    fx = await localBlobs();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  describe('when an object is written under the notifying prefix', () => {
    it('sends an S3 ObjectCreated event with the URL-encoded key to the upload queue', async () => {
      // Prepare
      const key = 'sources/j/s/a b+c%ü.jpg';
      // Act
      await fx.store.put(key, Buffer.from('12345'), { contentType: 'image/jpeg' });
      const [message, ...more] = await fx.queue.receive(SOURCE, { maxMessages: 10 });
      // Assess
      assert.equal(more.length, 0);
      assert.ok(message);
      const event = parseS3Notification(message.body);
      assert.ok('Records' in event);
      const [record] = event.Records;
      assert.ok(record);
      assert.equal(record.eventSource, 'aws:s3');
      assert.match(record.eventName, /^ObjectCreated:/);
      assert.equal(record.s3.bucket.name, 'local-bucket');
      assert.equal(record.s3.object.key, 'sources/j/s/a+b%2Bc%25%C3%BC.jpg');
      assert.equal(decodeS3Key(record.s3.object.key), key);
      assert.equal(record.s3.object.size, 5);
    });

    it('sends nothing for a key outside the prefix', async () => {
      await fx.store.put('results/j/s/0000.jpg', Buffer.from('x'));
      assert.deepEqual(await fx.queue.receive(SOURCE), []);
    });
  });

  describe('when objects are written with deferSync (durable per batch)', () => {
    /** Counts fsync calls while `work` runs (the store calls `fs.fsync` through the module's live binding). */
    const countFsyncs = async (work: () => Promise<unknown>): Promise<number> => {
      const original = fs.fsync;
      let calls = 0;
      fs.fsync = ((fd: number, done: (error: NodeJS.ErrnoException | null) => void) => {
        calls++;
        return original(fd, done);
      }) as typeof fs.fsync;
      syncBuiltinESMExports();
      try {
        await work();
      } finally {
        fs.fsync = original;
        syncBuiltinESMExports();
      }
      return calls;
    };

    it('fsyncs nothing at the put, then each object and each folder once at sync', async () => {
      // Prepare
      const keys = ['results/j/s1/0000.jpg', 'results/j/s1/0001.jpg', 'results/j/s2/0000.jpg'];
      // Act
      const atPut = await countFsyncs(async () => {
        for (const key of keys) await fx.store.put(key, Buffer.from('x'), { deferSync: true });
      });
      const atSync = await countFsyncs(() => fx.store.sync(keys));
      const plainPut = await countFsyncs(() => fx.store.put('results/j/s3/0000.jpg', Buffer.from('x')));
      // Assess
      assert.equal(atPut, 0);
      assert.equal(atSync, 3 + 2, 'three objects and their two folders');
      assert.equal(plainPut, 1);
    });

    it('keeps a source durable at its put (its queue message follows it), whatever is asked', async () => {
      const fsyncs = await countFsyncs(() => fx.store.put('sources/j/s/a.jpg', Buffer.from('x'), { deferSync: true }));
      assert.equal(fsyncs, 1);
      assert.equal((await fx.queue.receive(SOURCE)).length, 1);
    });

    it('fails a sync of an object that is not there with a retryable error naming it', async () => {
      await assert.rejects(fx.store.sync(['results/j/s/none.jpg']), (error: unknown) => {
        assert.ok(error instanceof TransientError);
        assert.match(error.message, /sync results\/j\/s\/none\.jpg failed: ENOENT/);
        return true;
      });
    });
  });

  describe('when a signed URL is made', () => {
    it('points at the gateway blob route with the encoded key, expiry and signature', async () => {
      const url = new URL(await fx.store.signedUrl('results/j 1/a+b.png', 'GET', 120));
      assert.equal(`${url.origin}${url.pathname}`, `${SIGNED_BASE}/results/j%201/a%2Bb.png`);
      assert.equal(Number(url.searchParams.get('expires')), Math.floor(fx.clock.now() / 1000) + 120);
      assert.match(url.searchParams.get('signature') ?? '', /^[A-Za-z0-9_-]{43}$/);
    });

    it('signs the method: a GET URL does not verify as a PUT', async () => {
      const url = new URL(await fx.store.signedUrl('results/j/x', 'GET', 60));
      const request = {
        key: 'results/j/x',
        expires: Number(url.searchParams.get('expires')),
        signature: url.searchParams.get('signature') ?? '',
        contentType: '',
      };
      assert.equal(verifyBlobUrl(SECRET, { ...request, method: 'GET' }, fx.clock.now()), 'ok');
      assert.equal(verifyBlobUrl(SECRET, { ...request, method: 'PUT' }, fx.clock.now()), 'invalid');
    });
  });
});

describe('SqliteEventBus, beyond the contract', () => {
  describe('when a second bus is opened on the same file (another process)', () => {
    it('receives what the first one publishes, in order', async () => {
      // Prepare
      const { dir, remove } = await tempDir('bus2');
      const publisher = new SqliteEventBus(join(dir, 'bus.sqlite'), 5);
      const subscriber = new SqliteEventBus(join(dir, 'bus.sqlite'), 5);
      try {
        const received: JobEvent[] = [];
        subscriber.subscribe((event) => received.push(event));
        const events = streamOf('job-1', 12);
        // Act
        await publisher.publish(events.slice(0, 5));
        await publisher.publish(events.slice(5));
        // Assess
        await waitFor('12 events on the other bus', () => received.length >= 12);
        assert.deepEqual(received, events);
      } finally {
        await publisher.close();
        await subscriber.close();
        await remove();
      }
    });
  });
});
