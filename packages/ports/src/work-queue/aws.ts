import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageSystemAttributeName,
  PurgeQueueCommand,
  type QueueAttributeName,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { DeltaError, NotFoundError, PermanentError, ReceiptHandleError, TransientError } from '@delta-augment/core';
import { awsCall, errorName, sleep, toSharedError } from '../aws-errors.js';
import type { PeekedMessage, QueueMessage, QueueStats, ReceiveOptions, RedriveResult, WorkQueue } from './port.js';

export interface SqsQueueConfig {
  readonly url: string;
  /** Name (a key of `queues`) of the queue SQS redrives to; the redrive policy itself is set on the queue by infra. */
  readonly deadLetterQueue?: string;
  readonly maxReceiveCount?: number;
}

export interface SqsWorkQueueOptions {
  /** Queue name -> URL, e.g. `{ uploads: { url, deadLetterQueue: 'uploads-dlq' }, 'uploads-dlq': { url } }`. */
  readonly queues: Readonly<Record<string, SqsQueueConfig>>;
  /** Tries of a batch entry that failed on the service side before `sendBatch` gives up; default 3. */
  readonly batchAttempts?: number;
  /** First back-off between batch tries, doubled each time; default 100 ms. */
  readonly retryDelayMs?: number;
}

const SYSTEM_ATTRIBUTES: MessageSystemAttributeName[] = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'ApproximateFirstReceiveTimestamp',
];
const RECEIPT_ERRORS = new Set(['ReceiptHandleIsInvalid', 'MessageNotInflight']);
/** What a service without StartMessageMoveTask answers (fauxqs: InvalidAction; others: UnsupportedOperation). */
const MOVE_TASK_UNSUPPORTED = new Set(['InvalidAction', 'UnsupportedOperation', 'UnknownOperationException']);
/** How long the operator-side redrive keeps a dead-lettered message hidden while it moves it. */
const REDRIVE_VISIBILITY_SECONDS = 60;

const isReceiptError = (error: unknown): boolean =>
  RECEIPT_ERRORS.has(errorName(error) ?? '') ||
  (/^InvalidParameterValue/.test(errorName(error) ?? '') && /receipt ?handle/i.test((error as Error).message));

const toQueueMessage = (message: Message): QueueMessage => {
  const body = message.Body ?? '';
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? '0',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? '0',
    },
  };
};

/**
 * SQS work queue. Delivery, visibility, receive counts, redrive to the DLQ and retention are SQS's
 * own. Differences from the local queue, all SQS limitations:
 * - `stats().oldestAgeSeconds` is always 0: the age of the oldest message is only published as the
 *   CloudWatch metric `ApproximateAgeOfOldestMessage`, not as a queue attribute.
 * - `peek` is a receive with visibility timeout 0, so it adds one to each peeked message's receive count
 *   (more than one when a full page comes round twice; on a queue with a redrive policy it can push a
 *   message to the DLQ); it reports the count before the peek. Peek the DLQ, not the source queue.
 * - `redrive` of everything starts an asynchronous `StartMessageMoveTask` (even when the DLQ's approximate
 *   depth reads 0) and reports how many messages the DLQ held when it started; without a move task on
 *   the service it moves messages one by one until a receive comes back empty; by ids (or with `maxMessages`) it moves them one by one, and a moved
 *   message gets a new message id in the source queue (the body is byte-identical).
 */
export class SqsWorkQueue implements WorkQueue {
  private readonly batchAttempts: number;
  private readonly retryDelayMs: number;

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: SqsWorkQueueOptions,
  ) {
    this.batchAttempts = options.batchAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 100;
  }

  private configOf(queue: string): SqsQueueConfig {
    const config = this.options.queues[queue];
    if (!config) throw new NotFoundError(`queue ${queue}`);
    return config;
  }

  private urlOf(queue: string): string {
    return this.configOf(queue).url;
  }

  async queues(): Promise<string[]> {
    return Object.keys(this.options.queues);
  }

  async send(queue: string, body: string, options: { delaySeconds?: number } = {}): Promise<{ messageId: string }> {
    const QueueUrl = this.urlOf(queue);
    const out = await awsCall(`sqs send ${queue}`, () =>
      this.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, DelaySeconds: options.delaySeconds })),
    );
    return { messageId: out.MessageId ?? '' };
  }

  /**
   * Sends many messages in SendMessageBatch calls of 10. Entries SQS failed on its side are retried
   * with back-off, then reported as a `TransientError`; an entry SQS refused as the sender's fault
   * (too large, bad characters) can never succeed and throws a `PermanentError` at once.
   * Message ids come back in the order of `bodies`.
   */
  async sendBatch(
    queue: string,
    bodies: readonly string[],
    options: { delaySeconds?: number } = {},
  ): Promise<{ messageIds: string[] }> {
    const QueueUrl = this.urlOf(queue);
    const messageIds: string[] = new Array(bodies.length).fill('');
    for (let start = 0; start < bodies.length; start += 10) {
      let pending: SendMessageBatchRequestEntry[] = bodies
        .slice(start, start + 10)
        .map((body, i) => ({ Id: String(start + i), MessageBody: body, DelaySeconds: options.delaySeconds }));
      for (let attempt = 1; pending.length > 0; attempt++) {
        const entries = pending;
        const out = await awsCall(`sqs send batch ${queue}`, () =>
          this.sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: entries })),
        );
        for (const ok of out.Successful ?? []) messageIds[Number(ok.Id)] = ok.MessageId ?? '';
        const failed = out.Failed ?? [];
        const refused = failed.find((f) => f.SenderFault);
        if (refused) {
          throw new PermanentError(
            `sqs refused message ${refused.Id} for ${queue}: ${refused.Code}: ${refused.Message ?? ''}`,
          );
        }
        const failedIds = new Set(failed.map((f) => f.Id));
        pending = entries.filter((entry) => failedIds.has(entry.Id));
        if (pending.length === 0) break;
        if (attempt >= this.batchAttempts) {
          const codes = [...new Set(failed.map((f) => f.Code))].join(', ');
          throw new TransientError(
            `sqs send batch ${queue}: ${pending.length} entries still failing after ${attempt} tries (${codes})`,
          );
        }
        await sleep(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
    return { messageIds };
  }

  async receive(queue: string, options: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const QueueUrl = this.urlOf(queue);
    if (options.signal?.aborted) return [];
    try {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: Math.min(Math.max(options.maxMessages ?? 1, 1), 10),
          WaitTimeSeconds: Math.min(Math.max(options.waitTimeSeconds ?? 0, 0), 20),
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          AttributeNames: SYSTEM_ATTRIBUTES as QueueAttributeName[],
          MessageSystemAttributeNames: SYSTEM_ATTRIBUTES,
        }),
        { abortSignal: options.signal },
      );
      return (out.Messages ?? []).map(toQueueMessage);
    } catch (error) {
      if (options.signal?.aborted) return [];
      throw toSharedError(error, `sqs receive ${queue}`);
    }
  }

  async changeVisibility(queue: string, receiptHandle: string, timeoutSeconds: number): Promise<void> {
    const QueueUrl = this.urlOf(queue);
    try {
      await this.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: timeoutSeconds,
        }),
      );
    } catch (error) {
      if (isReceiptError(error))
        throw new ReceiptHandleError(`receipt handle is not current for a message in queue ${queue}`);
      throw toSharedError(error, `sqs change visibility ${queue}`);
    }
  }

  /** An invalid or stale receipt handle is ignored, as the port specifies. */
  async delete(queue: string, receiptHandle: string): Promise<void> {
    const QueueUrl = this.urlOf(queue);
    try {
      await this.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: receiptHandle }));
    } catch (error) {
      if (isReceiptError(error)) return;
      throw toSharedError(error, `sqs delete ${queue}`);
    }
  }

  async stats(queue: string): Promise<QueueStats> {
    const config = this.configOf(queue);
    const attributes = await this.attributes(queue, [
      'ApproximateNumberOfMessages',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
      'VisibilityTimeout',
      'RedrivePolicy',
    ]);
    const redrive = attributes.RedrivePolicy
      ? (JSON.parse(attributes.RedrivePolicy) as { maxReceiveCount?: number | string })
      : undefined;
    const maxReceiveCount =
      config.maxReceiveCount ?? (redrive?.maxReceiveCount === undefined ? undefined : Number(redrive.maxReceiveCount));
    return {
      name: queue,
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(attributes.ApproximateNumberOfMessagesDelayed ?? 0),
      oldestAgeSeconds: 0,
      deadLetterQueue: config.deadLetterQueue,
      maxReceiveCount,
      visibilityTimeoutSeconds: Number(attributes.VisibilityTimeout ?? 30),
    };
  }

  private async attributes(
    queue: string,
    names: QueueAttributeName[],
  ): Promise<Partial<Record<QueueAttributeName, string>>> {
    const QueueUrl = this.urlOf(queue);
    const out = await awsCall(`sqs attributes ${queue}`, () =>
      this.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: names })),
    );
    return out.Attributes ?? {};
  }

  async peek(queue: string, options: { max?: number } = {}): Promise<PeekedMessage[]> {
    const QueueUrl = this.urlOf(queue);
    const max = Math.min(Math.max(options.max ?? 10, 1), 1000);
    const seen = new Map<string, PeekedMessage>();
    for (let round = 0; seen.size < max && round < Math.ceil(max / 10) + 2; round++) {
      const asked = Math.min(10, max - seen.size);
      const out = await awsCall(`sqs peek ${queue}`, () =>
        this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: asked,
            VisibilityTimeout: 0,
            // Long polling asks every SQS server, so a short queue does not look empty.
            WaitTimeSeconds: 1,
            AttributeNames: SYSTEM_ATTRIBUTES as QueueAttributeName[],
            MessageSystemAttributeNames: SYSTEM_ATTRIBUTES,
          }),
        ),
      );
      const before = seen.size;
      for (const message of (out.Messages ?? []).map(toQueueMessage)) {
        if (seen.has(message.messageId) || seen.size >= max) continue;
        seen.set(message.messageId, {
          messageId: message.messageId,
          body: message.body,
          receiveCount: Math.max(0, Number(message.attributes.ApproximateReceiveCount) - 1),
          sentAt: new Date(Number(message.attributes.SentTimestamp)).toISOString(),
        });
      }
      // Fewer than asked for: the queue had no more. None new: the same messages came round again.
      if ((out.Messages ?? []).length < asked || seen.size === before) break;
    }
    return [...seen.values()];
  }

  async redrive(
    deadLetterQueue: string,
    options: { messageIds?: readonly string[]; maxMessages?: number } = {},
  ): Promise<RedriveResult> {
    this.configOf(deadLetterQueue);
    const source = Object.entries(this.options.queues).find(([, c]) => c.deadLetterQueue === deadLetterQueue)?.[0];
    if (!source) throw new DeltaError('NOT_A_DEAD_LETTER_QUEUE', `no queue redrives to ${deadLetterQueue}`);
    if (!options.messageIds && options.maxMessages === undefined) return this.moveTask(deadLetterQueue, source);
    return this.moveOneByOne(deadLetterQueue, source, options);
  }

  /**
   * Redrive of everything: starts a `StartMessageMoveTask` whatever the DLQ's approximate depth reads
   * (`ApproximateNumberOfMessages` lags, and reads 0 right after a peek), and reports that depth as
   * `moved`. Where the service has no move task (emulators such as fauxqs answer `InvalidAction`),
   * moves the messages one by one until a receive comes back empty, and reports the exact count.
   */
  private async moveTask(deadLetterQueue: string, source: string): Promise<RedriveResult> {
    const [dlq, target] = await Promise.all([
      this.attributes(deadLetterQueue, ['QueueArn', 'ApproximateNumberOfMessages']),
      this.attributes(source, ['QueueArn']),
    ]);
    try {
      await this.sqs.send(
        new StartMessageMoveTaskCommand({ SourceArn: dlq.QueueArn, DestinationArn: target.QueueArn }),
      );
    } catch (error) {
      if (MOVE_TASK_UNSUPPORTED.has(errorName(error) ?? '')) return this.moveOneByOne(deadLetterQueue, source, {});
      throw toSharedError(error, `sqs redrive ${deadLetterQueue}`);
    }
    return { moved: Number(dlq.ApproximateNumberOfMessages ?? 0) };
  }

  private async moveOneByOne(
    deadLetterQueue: string,
    source: string,
    options: { messageIds?: readonly string[]; maxMessages?: number },
  ): Promise<RedriveResult> {
    const from = this.urlOf(deadLetterQueue);
    const to = this.urlOf(source);
    const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
    const limit = options.maxMessages ?? Number.POSITIVE_INFINITY;
    const skipped: string[] = [];
    let moved = 0;
    try {
      while (moved < limit && (!wanted || wanted.size > 0)) {
        const out = await awsCall(`sqs redrive ${deadLetterQueue}`, () =>
          this.sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: from,
              MaxNumberOfMessages: 10,
              VisibilityTimeout: REDRIVE_VISIBILITY_SECONDS,
              WaitTimeSeconds: 1,
              MessageAttributeNames: ['All'],
            }),
          ),
        );
        const messages = out.Messages ?? [];
        if (messages.length === 0) break;
        for (const message of messages) {
          const id = message.MessageId ?? '';
          if ((wanted && !wanted.has(id)) || moved >= limit) {
            if (message.ReceiptHandle) skipped.push(message.ReceiptHandle);
            continue;
          }
          await awsCall(`sqs redrive ${id}`, () =>
            this.sqs.send(
              new SendMessageCommand({
                QueueUrl: to,
                MessageBody: message.Body ?? '',
                MessageAttributes: message.MessageAttributes,
              }),
            ),
          );
          await this.delete(deadLetterQueue, message.ReceiptHandle ?? '');
          wanted?.delete(id);
          moved += 1;
        }
      }
    } finally {
      // Messages looked at but not moved become visible again at once.
      await Promise.all(
        skipped.map((handle) => this.changeVisibility(deadLetterQueue, handle, 0).catch(() => undefined)),
      );
    }
    return { moved };
  }

  /** PurgeQueue; SQS allows one purge per queue every 60 s (a second one is a `TransientError`). */
  async purge(queue: string): Promise<void> {
    const QueueUrl = this.urlOf(queue);
    await awsCall(`sqs purge ${queue}`, () => this.sqs.send(new PurgeQueueCommand({ QueueUrl })));
  }

  /** The client belongs to whoever built it (`awsPorts` destroys it). */
  async close(): Promise<void> {}
}
