import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ReceiptHandleError } from '../../packages/core/src/errors.js';
import type { QueueConfig, WorkQueue } from '../../packages/ports/src/work-queue/port.js';
import type { TestClock } from './helpers/clock.js';

/** The queues every adapter under contract serves: `uploads`, dead-lettering to `uploads-dlq` after 3 receives. */
export const SOURCE = 'uploads';
export const DLQ = 'uploads-dlq';
export const VISIBILITY_SECONDS = 30;
export const RETENTION_SECONDS = 3600;
export const MAX_RECEIVE_COUNT = 3;

export const contractQueueConfig = (): Record<string, QueueConfig> => ({
  [SOURCE]: {
    visibilityTimeoutSeconds: VISIBILITY_SECONDS,
    retentionSeconds: RETENTION_SECONDS,
    deadLetter: { queue: DLQ, maxReceiveCount: MAX_RECEIVE_COUNT },
  },
  [DLQ]: { visibilityTimeoutSeconds: VISIBILITY_SECONDS, retentionSeconds: 14 * 24 * 3600 },
});

export interface WorkQueueFixture {
  /** An adapter serving `contractQueueConfig()`, with nothing in its queues, whose time is `clock`. */
  readonly queue: WorkQueue;
  readonly clock: TestClock;
  /** What the adapter's service cannot do exactly like SQS's API promises (documented on the adapter). */
  readonly limits: {
    /** stats().oldestAgeSeconds is always 0 (SQS: a CloudWatch metric, not a queue attribute). */
    readonly noOldestAge?: boolean;
    /** peek is a receive, so it counts as one (SQS). */
    readonly peekCountsAsReceive?: boolean;
  };
  cleanup(): Promise<void>;
}

/** A body with every kind of character a message may carry, to check bytes survive every hop. */
const POISON_BODY = JSON.stringify({
  Records: [{ s3: { object: { key: 'sources/j/s/a+b%2Bc%25%C3%BC.jpg' } } }],
  note: 'ü ✓ \t "q" \\ 🎞',
});

export const describeWorkQueueContract = (name: string, factory: () => Promise<WorkQueueFixture>): void => {
  describe(`WorkQueue contract: ${name}`, () => {
    let fx: WorkQueueFixture;
    let queue: WorkQueue;
    beforeEach(async () => {
      fx = await factory();
      queue = fx.queue;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    /** Receives one message after letting every earlier visibility window lapse. */
    const receiveAfterTimeout = async () => {
      fx.clock.advanceSeconds(VISIBILITY_SECONDS + 1);
      return queue.receive(SOURCE);
    };

    describe('when a message is sent and received', () => {
      it('delivers its body, an MD5 of the body and a receive count of 1', async () => {
        // Prepare
        const { messageId } = await queue.send(SOURCE, 'hello');
        // Act
        const [message, ...rest] = await queue.receive(SOURCE);
        // Assess
        assert.equal(rest.length, 0);
        assert.ok(message);
        assert.equal(message.messageId, messageId);
        assert.equal(message.body, 'hello');
        assert.equal(message.md5OfBody, createHash('md5').update('hello').digest('hex'));
        assert.equal(message.attributes.ApproximateReceiveCount, '1');
        assert.ok(Number(message.attributes.SentTimestamp) > 0);
        assert.ok(
          Number(message.attributes.ApproximateFirstReceiveTimestamp) >= Number(message.attributes.SentTimestamp),
        );
      });

      it('hands out at most 10 messages per receive', async () => {
        for (let i = 0; i < 12; i++) await queue.send(SOURCE, `m${i}`);
        const first = await queue.receive(SOURCE, { maxMessages: 10 });
        const second = await queue.receive(SOURCE, { maxMessages: 10 });
        assert.equal(first.length, 10);
        assert.equal(second.length, 2);
        assert.equal(new Set([...first, ...second].map((m) => m.body)).size, 12);
      });
    });

    describe('when a received message is deleted', () => {
      it('is not delivered again after its visibility timeout', async () => {
        await queue.send(SOURCE, 'done');
        const [message] = await queue.receive(SOURCE);
        assert.ok(message);
        await queue.delete(SOURCE, message.receiptHandle);
        assert.deepEqual(await receiveAfterTimeout(), []);
      });
    });

    describe('when a received message is neither deleted nor extended', () => {
      it('stays hidden until the visibility timeout passes, then comes back with receive count 2', async () => {
        // Prepare
        await queue.send(SOURCE, 'retry me');
        const [first] = await queue.receive(SOURCE);
        assert.ok(first);
        // Act
        fx.clock.advanceSeconds(VISIBILITY_SECONDS - 5);
        const hidden = await queue.receive(SOURCE);
        fx.clock.advanceSeconds(6);
        const [again] = await queue.receive(SOURCE);
        // Assess
        assert.deepEqual(hidden, []);
        assert.ok(again);
        assert.equal(again.messageId, first.messageId);
        assert.equal(again.attributes.ApproximateReceiveCount, '2');
        assert.notEqual(again.receiptHandle, first.receiptHandle);
      });

      it('comes back in real time after a per-receive visibility timeout of 1 s', async () => {
        await queue.send(SOURCE, 'short');
        const [first] = await queue.receive(SOURCE, { visibilityTimeoutSeconds: 1 });
        assert.ok(first);
        assert.deepEqual(await queue.receive(SOURCE), []);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        const [again] = await queue.receive(SOURCE);
        assert.equal(again?.body, 'short');
        assert.equal(again?.attributes.ApproximateReceiveCount, '2');
      });
    });

    describe('when a message is received with a visibility timeout of 0', () => {
      it('is returned once per receive and is visible again at once, its receive count going up by one each time', async () => {
        await queue.send(SOURCE, 'at once');
        const first = await queue.receive(SOURCE, { maxMessages: 10, visibilityTimeoutSeconds: 0 });
        const second = await queue.receive(SOURCE, { maxMessages: 10, visibilityTimeoutSeconds: 0 });
        assert.deepEqual(
          first.map((m) => [m.body, m.attributes.ApproximateReceiveCount]),
          [['at once', '1']],
        );
        assert.deepEqual(
          second.map((m) => [m.body, m.attributes.ApproximateReceiveCount]),
          [['at once', '2']],
        );
      });
    });

    describe('when the visibility of an in-flight message is changed', () => {
      it('extends how long it stays hidden', async () => {
        await queue.send(SOURCE, 'slow work');
        const [message] = await queue.receive(SOURCE);
        assert.ok(message);
        fx.clock.advanceSeconds(20);
        await queue.changeVisibility(SOURCE, message.receiptHandle, 60);
        fx.clock.advanceSeconds(20);
        assert.deepEqual(await queue.receive(SOURCE), [], 'hidden past the original 30 s');
        fx.clock.advanceSeconds(41);
        assert.equal((await queue.receive(SOURCE))[0]?.body, 'slow work');
      });

      it('makes it visible at once with a timeout of 0', async () => {
        await queue.send(SOURCE, 'give back');
        const [message] = await queue.receive(SOURCE);
        assert.ok(message);
        await queue.changeVisibility(SOURCE, message.receiptHandle, 0);
        assert.equal((await queue.receive(SOURCE))[0]?.body, 'give back');
      });

      it('rejects a receipt handle from an earlier receive with ReceiptHandleError', async () => {
        await queue.send(SOURCE, 'twice');
        const [first] = await queue.receive(SOURCE);
        assert.ok(first);
        const [second] = await receiveAfterTimeout();
        assert.ok(second);
        await assert.rejects(queue.changeVisibility(SOURCE, first.receiptHandle, 60), ReceiptHandleError);
      });
    });

    describe('when a message is deleted with a receipt handle from an earlier receive', () => {
      it('is ignored and the message stays with its current receiver', async () => {
        await queue.send(SOURCE, 'stale delete');
        const [first] = await queue.receive(SOURCE);
        assert.ok(first);
        const [second] = await receiveAfterTimeout();
        assert.ok(second);
        await queue.delete(SOURCE, first.receiptHandle);
        await queue.changeVisibility(SOURCE, second.receiptHandle, 0);
        assert.equal((await queue.receive(SOURCE))[0]?.body, 'stale delete');
      });
    });

    describe('when a message is received more than maxReceiveCount times', () => {
      it('is delivered exactly maxReceiveCount times, then moves to the dead-letter queue with a byte-identical body', async () => {
        // Prepare
        await queue.send(SOURCE, POISON_BODY);
        // Act
        const counts: string[] = [];
        for (let i = 0; i < MAX_RECEIVE_COUNT; i++) {
          const [message] = i === 0 ? await queue.receive(SOURCE) : await receiveAfterTimeout();
          assert.ok(message, `receive ${i + 1} delivers it`);
          counts.push(message.attributes.ApproximateReceiveCount);
        }
        const afterLimit = await receiveAfterTimeout();
        const [dead] = await queue.receive(DLQ);
        // Assess
        assert.deepEqual(counts, ['1', '2', '3']);
        assert.deepEqual(afterLimit, []);
        assert.ok(dead);
        assert.equal(Buffer.compare(Buffer.from(dead.body), Buffer.from(POISON_BODY)), 0);
        assert.equal(dead.md5OfBody, createHash('md5').update(POISON_BODY).digest('hex'));
      });
    });

    describe('when dead-lettered messages are redriven', () => {
      const deadLetter = async (bodies: readonly string[]) => {
        for (const body of bodies) await queue.send(SOURCE, body);
        for (let i = 0; i <= MAX_RECEIVE_COUNT; i++) {
          fx.clock.advanceSeconds(VISIBILITY_SECONDS + 1);
          await queue.receive(SOURCE, { maxMessages: 10 });
        }
        assert.equal((await queue.stats(DLQ)).visible, bodies.length, 'all dead-lettered');
      };

      it('moves all of them back to their source queue, where they are delivered afresh', async () => {
        await deadLetter(['a', 'b']);
        const result = await queue.redrive(DLQ);
        const back = await queue.receive(SOURCE, { maxMessages: 10 });
        assert.equal(result.moved, 2);
        assert.deepEqual(back.map((m) => m.body).sort(), ['a', 'b']);
        assert.deepEqual(
          back.map((m) => m.attributes.ApproximateReceiveCount),
          ['1', '1'],
        );
        assert.equal((await queue.stats(DLQ)).visible, 0);
      });

      it('moves only the messages named by id, with byte-identical bodies', async () => {
        await deadLetter([POISON_BODY, 'keep me']);
        const peeked = await queue.peek(DLQ);
        const chosen = peeked.find((m) => m.body === POISON_BODY);
        assert.ok(chosen);
        const result = await queue.redrive(DLQ, { messageIds: [chosen.messageId] });
        const back = await queue.receive(SOURCE, { maxMessages: 10 });
        const left = await queue.receive(DLQ, { maxMessages: 10 });
        assert.equal(result.moved, 1);
        assert.deepEqual(
          back.map((m) => m.body),
          [POISON_BODY],
        );
        assert.deepEqual(
          left.map((m) => m.body),
          ['keep me'],
        );
      });
    });

    describe('when a queue is peeked', () => {
      it('returns its messages without taking them', async () => {
        await queue.send(SOURCE, 'one');
        await queue.send(SOURCE, 'two');
        const peeked = await queue.peek(SOURCE);
        const received = await queue.receive(SOURCE, { maxMessages: 10 });
        assert.deepEqual(peeked.map((m) => m.body).sort(), ['one', 'two']);
        assert.deepEqual(received.map((m) => m.body).sort(), ['one', 'two']);
        assert.ok(peeked.every((m) => m.receiveCount === 0 && !Number.isNaN(Date.parse(m.sentAt))));
      });

      it('leaves the receive count as it was, unless the service can only peek by receiving', async () => {
        await queue.send(SOURCE, 'counted');
        await queue.peek(SOURCE);
        const [message] = await queue.receive(SOURCE);
        assert.equal(message?.attributes.ApproximateReceiveCount, fx.limits.peekCountsAsReceive ? '2' : '1');
      });
    });

    describe('when a queue is purged', () => {
      it('drops every message, visible and in flight', async () => {
        await queue.send(SOURCE, 'x');
        await queue.send(SOURCE, 'y');
        await queue.receive(SOURCE);
        await queue.purge(SOURCE);
        const stats = await queue.stats(SOURCE);
        assert.deepEqual([stats.visible, stats.inFlight, stats.delayed], [0, 0, 0]);
        assert.deepEqual(await receiveAfterTimeout(), []);
      });
    });

    describe('when stats are asked for', () => {
      it('counts visible, in-flight and delayed messages and names the dead-letter queue', async () => {
        // Prepare
        await queue.send(SOURCE, 'in flight');
        await queue.receive(SOURCE);
        await queue.send(SOURCE, 'visible');
        await queue.send(SOURCE, 'delayed', { delaySeconds: 600 });
        // Act
        const stats = await queue.stats(SOURCE);
        // Assess
        assert.equal(stats.name, SOURCE);
        assert.deepEqual([stats.visible, stats.inFlight, stats.delayed], [1, 1, 1]);
        assert.equal(stats.deadLetterQueue, DLQ);
        assert.equal(stats.maxReceiveCount, MAX_RECEIVE_COUNT);
        assert.equal(stats.visibilityTimeoutSeconds, VISIBILITY_SECONDS);
      });

      it('reports the age of the oldest message (0 where the service does not expose it)', async () => {
        await queue.send(SOURCE, 'old');
        fx.clock.advanceSeconds(90);
        const stats = await queue.stats(SOURCE);
        if (fx.limits.noOldestAge) assert.equal(stats.oldestAgeSeconds, 0);
        else assert.ok(stats.oldestAgeSeconds >= 90 && stats.oldestAgeSeconds < 100, `age ${stats.oldestAgeSeconds}`);
      });

      it('lists the queues it serves', async () => {
        assert.deepEqual((await queue.queues()).sort(), [SOURCE, DLQ].sort());
      });
    });

    describe('when a message is sent with a delay', () => {
      it('is not delivered before the delay passes', async () => {
        await queue.send(SOURCE, 'later', { delaySeconds: 10 });
        const early = await queue.receive(SOURCE);
        fx.clock.advanceSeconds(11);
        const [late] = await queue.receive(SOURCE);
        assert.deepEqual(early, []);
        assert.equal(late?.body, 'later');
      });
    });

    describe('when a long poll is waiting', () => {
      it('returns as soon as a message arrives', { timeout: 10_000 }, async () => {
        const polling = queue.receive(SOURCE, { waitTimeSeconds: 20 });
        setTimeout(() => void queue.send(SOURCE, 'arrived'), 50);
        const messages = await polling;
        assert.deepEqual(
          messages.map((m) => m.body),
          ['arrived'],
        );
      });
    });

    describe('when a message outlives the retention period', () => {
      it('is dropped without being delivered', async () => {
        await queue.send(SOURCE, 'expired');
        fx.clock.advanceSeconds(RETENTION_SECONDS + 1);
        const received = await queue.receive(SOURCE);
        const stats = await queue.stats(SOURCE);
        assert.deepEqual(received, []);
        assert.equal(stats.visible, 0);
      });
    });

    describe('when an unknown queue is named', () => {
      it('rejects the call', async () => {
        await assert.rejects(queue.send('no-such-queue', 'x'), { code: 'NOT_FOUND' });
      });
    });
  });
};
