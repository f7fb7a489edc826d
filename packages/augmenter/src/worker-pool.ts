import { ConfigError, ReceiptHandleError } from '@delta-augment/core';
import type { QueueMessage, WorkQueue } from '@delta-augment/ports';
import type { SQSEvent, SQSHandler, SQSRecord } from './sqs-types.js';

export interface WorkerPoolOptions {
  readonly queue: WorkQueue;
  readonly queueName: string;
  readonly handler: SQSHandler;
  /** Records per invocation, 1..10 (Lambda BatchSize). */
  readonly batchSize: number;
  /** Seconds to gather a batch before invoking (MaximumBatchingWindowInSeconds). */
  readonly batchWindowSeconds: number;
  /** Invocations at once (ScalingConfig.MaximumConcurrency). */
  readonly maxConcurrency: number;
  readonly visibilityTimeoutSeconds: number;
  readonly handlerTimeoutSeconds: number;
  /** Seconds between visibility extensions of received messages; default a third of the visibility timeout. */
  readonly heartbeatSeconds?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Mirrors the Lambda SQS event source mapping on one machine: long-polls the queue, invokes the handler
 * with an SQS event, deletes what succeeded, leaves failures to reappear after their visibility timeout,
 * and keeps long work invisible with a heartbeat.
 */
export class WorkerPool {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly leases = new Set<Lease>();
  private started = false;

  constructor(private readonly options: WorkerPoolOptions) {
    if (options.handlerTimeoutSeconds > options.visibilityTimeoutSeconds) {
      throw new ConfigError(
        `the handler timeout (${options.handlerTimeoutSeconds}s) exceeds the queue visibility timeout (${options.visibilityTimeoutSeconds}s): messages would be delivered twice; use a visibility timeout of at least 6x the handler timeout`,
      );
    }
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (let i = 0; i < this.options.maxConcurrency; i++) this.loops.push(this.loop());
  }

  /** Stops receiving, then waits up to `graceMs` for in-flight invocations; what is left is released to the queue. */
  async stop(graceMs = 30_000): Promise<void> {
    this.abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([Promise.all(this.loops), grace]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const { queue, queueName } = this.options;
      const unfinished = [...this.leases].flatMap((lease) => lease.release());
      this.options.log?.('stopping with unfinished messages; releasing them to the queue', {
        count: unfinished.length,
      });
      await Promise.all(
        unfinished.map((handle) => queue.changeVisibility(queueName, handle, 0).catch(() => undefined)),
      );
    }
  }

  private async loop(): Promise<void> {
    const { queue, queueName } = this.options;
    while (!this.abort.signal.aborted) {
      const lease = new Lease(this.options);
      this.leases.add(lease);
      try {
        await this.receiveBatch(lease);
      } catch (error) {
        lease.end();
        this.leases.delete(lease);
        this.options.log?.('receive failed; retrying', { reason: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      if (lease.messages.length === 0 || this.abort.signal.aborted) this.leases.delete(lease);
      if (lease.messages.length === 0) continue;
      if (this.abort.signal.aborted) {
        lease.end();
        await Promise.all(
          lease.messages.map((m) => queue.changeVisibility(queueName, m.receiptHandle, 0).catch(() => undefined)),
        );
        return;
      }
      await this.invoke(lease);
      this.leases.delete(lease);
    }
  }

  /** Receives up to a batch, gathering for the batching window; every message is heartbeated from its receipt. */
  private async receiveBatch(lease: Lease): Promise<void> {
    const { queue, queueName, batchSize, batchWindowSeconds } = this.options;
    lease.add(
      await queue.receive(queueName, { maxMessages: batchSize, waitTimeSeconds: 1, signal: this.abort.signal }),
    );
    const deadline = Date.now() + batchWindowSeconds * 1000;
    while (
      lease.messages.length > 0 &&
      lease.messages.length < batchSize &&
      Date.now() < deadline &&
      !this.abort.signal.aborted
    ) {
      const wait = Math.min(1, Math.ceil((deadline - Date.now()) / 1000));
      lease.add(
        await queue.receive(queueName, {
          maxMessages: batchSize - lease.messages.length,
          waitTimeSeconds: wait,
          signal: this.abort.signal,
        }),
      );
    }
  }

  private async invoke(lease: Lease): Promise<void> {
    const { queue, queueName, handler, handlerTimeoutSeconds } = this.options;
    const messages = lease.messages;
    const event: SQSEvent = { Records: messages.map((m) => toRecord(m, queueName)) };
    const timeout = new AbortController();
    const endsAt = Date.now() + handlerTimeoutSeconds * 1000;
    const timer = setTimeout(() => timeout.abort(), handlerTimeoutSeconds * 1000);
    // The same context shape Lambda gives a Node handler: the time left, so it answers before the end.
    const running = handler(event, { signal: timeout.signal, getRemainingTimeInMillis: () => endsAt - Date.now() });
    try {
      const result = await Promise.race([
        running,
        new Promise<never>((_, reject) =>
          timeout.signal.addEventListener('abort', () =>
            reject(new Error(`handler timed out after ${handlerTimeoutSeconds}s`)),
          ),
        ),
      ]);
      const ids = new Set(messages.map((m) => m.messageId));
      const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
      if ([...failed].some((id) => !ids.has(id))) {
        // Lambda treats a response naming an unknown message id as a failure of the whole batch.
        this.options.log?.('batch response named an unknown message id; the whole batch is retried');
        return;
      }
      await Promise.all(
        messages.filter((m) => !failed.has(m.messageId)).map((m) => queue.delete(queueName, m.receiptHandle)),
      );
    } catch (error) {
      this.options.log?.('invocation failed; the batch will be retried', { reason: (error as Error).message });
    } finally {
      lease.end();
      clearTimeout(timer);
      // A timed-out invocation was told to stop (its signal); its slot is not reused until it has, so a retry
      // never renders beside the attempt it replaces and the pool's concurrency bounds real work.
      if (timeout.signal.aborted) await running.catch(() => undefined);
    }
  }
}

/** The messages of one invocation, kept invisible by a heartbeat from their receipt until the invocation ends. */
class Lease {
  readonly messages: QueueMessage[] = [];
  private readonly live = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerPoolOptions) {}

  add(messages: readonly QueueMessage[]): void {
    for (const m of messages) {
      // A message received again within one batching window replaces its older receipt.
      const earlier = this.messages.findIndex((e) => e.messageId === m.messageId);
      if (earlier >= 0) {
        this.live.delete(this.messages[earlier]?.receiptHandle ?? '');
        this.messages.splice(earlier, 1);
      }
      this.messages.push(m);
      this.live.add(m.receiptHandle);
    }
    if (!this.timer && this.messages.length > 0) {
      const { queue, queueName, visibilityTimeoutSeconds } = this.options;
      const everyMs = (this.options.heartbeatSeconds ?? Math.max(0.1, visibilityTimeoutSeconds / 3)) * 1000;
      this.timer = setInterval(() => {
        for (const handle of this.live) {
          queue.changeVisibility(queueName, handle, visibilityTimeoutSeconds).catch((error: unknown) => {
            if (error instanceof ReceiptHandleError) this.live.delete(handle);
          });
        }
      }, everyMs);
    }
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.live.clear();
  }

  /** Ends the heartbeat and hands back the receipts still held, for release. */
  release(): string[] {
    const handles = [...this.live];
    this.end();
    return handles;
  }
}

const toRecord = (message: QueueMessage, queueName: string): SQSRecord => ({
  messageId: message.messageId,
  receiptHandle: message.receiptHandle,
  body: message.body,
  attributes: { ...message.attributes, SenderId: 'local' },
  messageAttributes: {},
  md5OfBody: message.md5OfBody,
  eventSource: 'aws:sqs',
  eventSourceARN: `arn:aws:sqs:local:000000000000:${queueName}`,
  awsRegion: 'local',
});
