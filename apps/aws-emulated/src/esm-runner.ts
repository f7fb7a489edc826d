import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** The SQS event a Lambda receives from an event source mapping (AWS Lambda developer guide, "Using Lambda with Amazon SQS"). */
export interface LambdaSqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, unknown>;
  md5OfBody: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export type LambdaHandler = (
  event: { Records: LambdaSqsRecord[] },
  context: Record<string, unknown>,
) => Promise<{ batchItemFailures?: { itemIdentifier?: string }[] } | undefined | null>;

export interface EventSourceMappingOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  /** Concurrent pollers/invocations (Lambda scales up to the mapping's maximumConcurrency). */
  readonly concurrency: number;
  /** Called after every invocation, for the usage counters. */
  readonly onInvocation?: (invocation: { records: number; durationMs: number; failed: number; error?: string }) => void;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Which records an invocation's result leaves undeleted, by Lambda's rules for partial batch responses. */
export const failedRecords = (
  records: readonly LambdaSqsRecord[],
  outcome: { error: unknown } | { result: Awaited<ReturnType<LambdaHandler>> },
  reportBatchItemFailures: boolean,
): readonly LambdaSqsRecord[] => {
  // A thrown error or a timeout fails the whole batch.
  if ('error' in outcome) return records;
  if (!reportBatchItemFailures) return [];
  const failures = outcome.result?.batchItemFailures;
  // An empty or missing list (or a null response) means every record succeeded.
  if (!failures || failures.length === 0) return [];
  const ids = new Set(records.map((r) => r.messageId));
  // An identifier that is empty or names no record of the batch makes Lambda treat the whole batch as failed.
  if (failures.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier))) return records;
  const failed = new Set(failures.map((f) => f.itemIdentifier));
  return records.filter((r) => failed.has(r.messageId));
};

const toRecord = (message: Message, options: EventSourceMappingOptions): LambdaSqsRecord => ({
  messageId: message.MessageId ?? '',
  receiptHandle: message.ReceiptHandle ?? '',
  body: message.Body ?? '',
  attributes: { ...(message.Attributes ?? {}) },
  messageAttributes: { ...(message.MessageAttributes ?? {}) },
  md5OfBody: message.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: options.queueArn,
  awsRegion: options.region,
});

/**
 * STAND-IN for Lambda's SQS event source mapping: long-polls the queue, gathers up to `batchSize`
 * records within the batching window, invokes the handler with a real `SQSEvent`, deletes the records
 * that succeeded and leaves the others for SQS to redeliver after their visibility timeout (and to
 * dead-letter after `maxReceiveCount`). Partial batch responses follow Lambda's documented rules (see
 * `failedRecords`); an invocation that throws or outlives the function timeout fails its whole batch.
 * Unlike Lambda, the timed-out handler is not killed (it runs on in the background), and scaling is a
 * fixed number of pollers.
 */
export class EventSourceMapping {
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly handler: LambdaHandler,
    private readonly options: EventSourceMappingOptions,
  ) {}

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.poll());
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async receive(max: number, waitSeconds: number): Promise<Message[]> {
    const out = await this.options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: this.abort.signal },
    );
    return out.Messages ?? [];
  }

  private async gather(): Promise<Message[]> {
    const { batchSize, batchWindowSeconds } = this.options;
    const batch = await this.receive(batchSize, 20);
    const deadline = Date.now() + batchWindowSeconds * 1000;
    while (batch.length > 0 && batch.length < batchSize && Date.now() < deadline && !this.abort.signal.aborted) {
      const more = await this.receive(
        batchSize - batch.length,
        Math.max(0, Math.floor((deadline - Date.now()) / 1000)),
      );
      if (more.length === 0 && Date.now() >= deadline) break;
      batch.push(...more);
    }
    return batch;
  }

  private async invoke(
    records: LambdaSqsRecord[],
  ): Promise<{ error: unknown } | { result: Awaited<ReturnType<LambdaHandler>> }> {
    const { timeoutSeconds, functionName, memoryMb } = this.options;
    const deadline = Date.now() + timeoutSeconds * 1000;
    const context = {
      functionName,
      functionVersion: '$LATEST',
      memoryLimitInMB: String(memoryMb),
      awsRequestId: randomUUID(),
      invokedFunctionArn: `arn:aws:lambda:${this.options.region}:000000000000:function:${functionName}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      callbackWaitsForEmptyEventLoop: true,
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Task timed out after ${timeoutSeconds}.00 seconds`)),
          timeoutSeconds * 1000,
        );
      });
      return { result: await Promise.race([this.handler({ Records: records }, context), timeout]) };
    } catch (error) {
      return { error };
    } finally {
      clearTimeout(timer);
    }
  }

  private async poll(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const messages = await this.gather();
        if (messages.length === 0) continue;
        const records = messages.map((m) => toRecord(m, this.options));
        const started = performance.now();
        const outcome = await this.invoke(records);
        const durationMs = performance.now() - started;
        const failed = failedRecords(records, outcome, this.options.reportBatchItemFailures);
        const failedIds = new Set(failed.map((r) => r.messageId));
        const done = records.filter((r) => !failedIds.has(r.messageId));
        const error = 'error' in outcome ? (outcome.error as Error).message : undefined;
        this.options.onInvocation?.({ records: records.length, durationMs, failed: failed.length, error });
        if (error) this.options.log?.('invocation failed; the batch returns after its visibility timeout', { error });
        if (done.length > 0) {
          await this.options.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: this.options.queueUrl,
              Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
            }),
          );
        }
      } catch (error) {
        if (this.abort.signal.aborted) break;
        this.options.log?.('poll failed; retrying', { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
}
