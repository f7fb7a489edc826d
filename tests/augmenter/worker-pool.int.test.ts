import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { type SQSEvent, type SQSHandler, WorkerPool } from '@delta-augment/augmenter';
import { localQueueConfig, SqliteWorkQueue } from '@delta-augment/ports/local';
import { tempDir, waitFor } from '../helpers/server.js';

const QUEUE = 'uploads';
const DLQ = 'uploads-dlq';

const newQueue = (visibilityTimeoutSeconds: number, maxReceiveCount = 3) =>
  new SqliteWorkQueue(join(tempDir(), 'queue.sqlite'), localQueueConfig({ visibilityTimeoutSeconds, maxReceiveCount }));

const poolOf = (
  queue: SqliteWorkQueue,
  handler: SQSHandler,
  overrides: Partial<ConstructorParameters<typeof WorkerPool>[0]> = {},
) =>
  new WorkerPool({
    queue,
    queueName: QUEUE,
    handler,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxConcurrency: 2,
    visibilityTimeoutSeconds: 1,
    handlerTimeoutSeconds: 1,
    ...overrides,
  });

describe('the local worker pool', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0)) await c();
  });

  it('refuses to start when the handler timeout exceeds the visibility timeout', () => {
    const queue = newQueue(5);
    cleanup.push(() => queue.close());
    assert.throws(
      () =>
        poolOf(queue, async () => ({ batchItemFailures: [] }), {
          visibilityTimeoutSeconds: 5,
          handlerTimeoutSeconds: 10,
        }),
      /exceeds the queue visibility timeout/,
    );
  });

  it('invokes the handler with SQS-shaped records and deletes what succeeded', async () => {
    // Prepare
    const queue = newQueue(30);
    const seen: SQSEvent[] = [];
    const pool = poolOf(queue, async (event) => {
      seen.push(event);
      return { batchItemFailures: [] };
    });
    cleanup.push(async () => {
      await pool.stop(1000);
      await queue.close();
    });
    await queue.send(QUEUE, '{"a":1}');
    // Act
    pool.start();
    await waitFor(
      async () => ((await queue.stats(QUEUE)).visible + (await queue.stats(QUEUE)).inFlight === 0 ? true : undefined),
      5000,
      'deletion',
    );
    // Assess
    const record = seen[0]?.Records[0];
    assert.equal(record?.body, '{"a":1}');
    assert.equal(record?.eventSource, 'aws:sqs');
    assert.equal(record?.attributes.ApproximateReceiveCount, '1');
  });

  it('retries only the record named in batchItemFailures', async () => {
    // Prepare
    const queue = newQueue(1);
    const receives = new Map<string, number>();
    const pool = poolOf(
      queue,
      async (event) => {
        for (const r of event.Records) receives.set(r.body, (receives.get(r.body) ?? 0) + 1);
        const bad = event.Records.filter((r) => r.body === 'bad' && r.attributes.ApproximateReceiveCount === '1');
        return { batchItemFailures: bad.map((r) => ({ itemIdentifier: r.messageId })) };
      },
      { maxConcurrency: 1, batchWindowSeconds: 1 },
    );
    cleanup.push(async () => {
      await pool.stop(1000);
      await queue.close();
    });
    await queue.send(QUEUE, 'good');
    await queue.send(QUEUE, 'bad');
    // Act
    pool.start();
    await waitFor(async () => (receives.get('bad') === 2 ? true : undefined), 10_000, 'the retry');
    await waitFor(
      async () =>
        (await queue.stats(QUEUE)).inFlight === 0 && (await queue.stats(QUEUE)).visible === 0 ? true : undefined,
      5000,
      'an empty queue',
    );
    // Assess
    assert.equal(receives.get('good'), 1);
    assert.equal(receives.get('bad'), 2);
  });

  it('retries the whole batch when the response names an unknown message id', async () => {
    const queue = newQueue(1);
    let calls = 0;
    const pool = poolOf(queue, async () => {
      calls += 1;
      return { batchItemFailures: calls === 1 ? [{ itemIdentifier: 'not-a-message-of-this-batch' }] : [] };
    });
    cleanup.push(async () => {
      await pool.stop(1000);
      await queue.close();
    });
    await queue.send(QUEUE, 'x');
    pool.start();
    await waitFor(async () => (calls >= 2 ? true : undefined), 10_000, 'the batch to be retried');
    await waitFor(
      async () =>
        (await queue.stats(QUEUE)).inFlight === 0 && (await queue.stats(QUEUE)).visible === 0 ? true : undefined,
      5000,
      'deletion',
    );
    assert.equal(calls, 2);
  });

  it('moves a message that always fails to the DLQ after exactly maxReceiveCount receives', async () => {
    const queue = newQueue(1, 3);
    let receives = 0;
    const pool = poolOf(queue, async (event) => {
      receives += event.Records.length;
      return { batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) };
    });
    cleanup.push(async () => {
      await pool.stop(1000);
      await queue.close();
    });
    const body = JSON.stringify({ poison: true, ü: 'a b+c%' });
    await queue.send(QUEUE, body);
    pool.start();
    const [dead] = await waitFor(
      async () => {
        const peeked = await queue.peek(DLQ);
        return peeked.length ? peeked : undefined;
      },
      15_000,
      'the DLQ',
    );
    assert.equal(receives, 3);
    assert.equal(dead?.body, body);
  });

  it('keeps a message invisible while its batch gathers and runs, instead of delivering it twice', async () => {
    // Prepare: visibility 2 s; the batch waits 1 s for company, then the handler takes 1.5 s
    const queue = newQueue(2);
    const deliveries: string[] = [];
    const handler: SQSHandler = async (event) => {
      deliveries.push(...event.Records.map((r) => r.messageId));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return { batchItemFailures: [] };
    };
    const pool = poolOf(queue, handler, {
      visibilityTimeoutSeconds: 2,
      handlerTimeoutSeconds: 2,
      heartbeatSeconds: 0.3,
      batchWindowSeconds: 1,
      maxConcurrency: 2,
    });
    cleanup.push(async () => {
      await pool.stop(3000);
      await queue.close();
    });
    await queue.send(QUEUE, 'slow');
    // Act
    pool.start();
    await waitFor(
      async () => ((await queue.stats(QUEUE)).inFlight + (await queue.stats(QUEUE)).visible === 0 ? true : undefined),
      10_000,
      'deletion',
    );
    // Assess
    assert.equal(deliveries.length, 1);
  });

  it('on a graceful stop finishes in-flight work, or releases what outlives the grace period', async () => {
    // Prepare: one quick and one slow message on a queue with a long visibility timeout
    const queue = newQueue(60);
    let finished = 0;
    const pool = poolOf(
      queue,
      async (event) => {
        const slow = event.Records.some((r) => r.body === 'slow');
        await new Promise((resolve) => setTimeout(resolve, slow ? 5000 : 300));
        finished += 1;
        return { batchItemFailures: [] };
      },
      { visibilityTimeoutSeconds: 60, handlerTimeoutSeconds: 10, batchSize: 1, maxConcurrency: 2 },
    );
    cleanup.push(() => queue.close());
    await queue.send(QUEUE, 'quick');
    await queue.send(QUEUE, 'slow');
    pool.start();
    await waitFor(async () => ((await queue.stats(QUEUE)).inFlight === 2 ? true : undefined), 5000, 'both in flight');
    // Act
    await pool.stop(1000);
    // Assess: the quick one finished and was deleted; the slow one is visible again at once
    assert.equal(finished, 1);
    const stats = await queue.stats(QUEUE);
    assert.equal(stats.inFlight, 0);
    assert.equal(stats.visible, 1);
    assert.equal((await queue.peek(QUEUE))[0]?.body, 'slow');
  });
});
