import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { Clock } from '../../../packages/core/src/clock.js';
import { ReceiptHandleError } from '../../../packages/core/src/errors.js';
import { SqsWorkQueue } from '../../../packages/ports/src/work-queue/aws.js';
import { SqliteWorkQueue } from '../../../packages/ports/src/work-queue/local.js';
import type { QueueConfig } from '../../../packages/ports/src/work-queue/port.js';

/**
 * The SQS adapter over `aws-sdk-client-mock`, with the queue semantics behind the mock supplied by
 * the SQLite work queue (which implements SQS's visibility, receive count, redrive and retention rules):
 * each mocked SQS command is translated to that queue and its answer back into SQS's response shape,
 * and a stale receipt handle comes back as SQS's own `ReceiptHandleIsInvalid`. What this tests is the
 * adapter's side of the wire: the commands it builds, the attributes it asks for, how it maps answers
 * and errors. Received message attributes are returned only when the adapter asks for them.
 */

const ACCOUNT = '123456789012';
export const queueUrl = (name: string): string => `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/${name}`;
export const queueArn = (name: string): string => `arn:aws:sqs:us-east-1:${ACCOUNT}:${name}`;

const metadata = { $metadata: {} };

export const sqsOnSqlite = (file: string, config: Readonly<Record<string, QueueConfig>>, clock: Clock) => {
  const backing = new SqliteWorkQueue(file, config, clock);
  const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const mock = mockClient(client);
  const names = Object.keys(config);
  const nameOf = (url: string | undefined, arn?: string): string => {
    const name = names.find((n) => queueUrl(n) === url || queueArn(n) === arn);
    if (!name) throw new QueueDoesNotExist({ message: `no queue at ${url ?? arn}`, ...metadata });
    return name;
  };

  mock.on(SendMessageCommand).callsFake(async (input) => {
    const body = input.MessageBody ?? '';
    const { messageId } = await backing.send(nameOf(input.QueueUrl), body, { delaySeconds: input.DelaySeconds });
    return { MessageId: messageId, MD5OfMessageBody: createHash('md5').update(body).digest('hex') };
  });
  mock.on(SendMessageBatchCommand).callsFake(async (input) => {
    const queue = nameOf(input.QueueUrl);
    const Successful = [];
    for (const entry of input.Entries ?? []) {
      const body = entry.MessageBody ?? '';
      const { messageId } = await backing.send(queue, body, { delaySeconds: entry.DelaySeconds });
      Successful.push({
        Id: entry.Id,
        MessageId: messageId,
        MD5OfMessageBody: createHash('md5').update(body).digest('hex'),
      });
    }
    return { Successful, Failed: [] };
  });
  mock.on(ReceiveMessageCommand).callsFake(async (input) => {
    const wanted = new Set<string>([...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])]);
    const queue = nameOf(input.QueueUrl);
    // SQS returns a message at most once per ReceiveMessage, also with VisibilityTimeout 0. The SQLite queue
    // hands such a message out again within the same receive (reported as a bug), so take it with the queue's
    // default timeout and release it right after: the same outcome as SQS's.
    const zero = input.VisibilityTimeout === 0;
    const messages = await backing.receive(queue, {
      maxMessages: input.MaxNumberOfMessages,
      waitTimeSeconds: input.WaitTimeSeconds,
      visibilityTimeoutSeconds: zero ? undefined : input.VisibilityTimeout,
    });
    if (zero) for (const m of messages) await backing.changeVisibility(queue, m.receiptHandle, 0);
    return {
      Messages: messages.map((m) => ({
        MessageId: m.messageId,
        ReceiptHandle: m.receiptHandle,
        Body: m.body,
        MD5OfBody: m.md5OfBody,
        Attributes: Object.fromEntries(
          Object.entries(m.attributes).filter(([k]) => wanted.has(k) || wanted.has('All')),
        ),
      })),
    };
  });
  mock.on(ChangeMessageVisibilityCommand).callsFake(async (input) => {
    try {
      await backing.changeVisibility(nameOf(input.QueueUrl), input.ReceiptHandle ?? '', input.VisibilityTimeout ?? 0);
      return {};
    } catch (error) {
      if (error instanceof ReceiptHandleError)
        throw new ReceiptHandleIsInvalid({ message: 'The input receipt handle is invalid.', ...metadata });
      throw error;
    }
  });
  mock.on(DeleteMessageCommand).callsFake(async (input) => {
    await backing.delete(nameOf(input.QueueUrl), input.ReceiptHandle ?? '');
    return {};
  });
  mock.on(GetQueueAttributesCommand).callsFake(async (input) => {
    const name = nameOf(input.QueueUrl);
    const stats = await backing.stats(name);
    const dead = config[name]?.deadLetter;
    const all: Record<string, string> = {
      QueueArn: queueArn(name),
      ApproximateNumberOfMessages: String(stats.visible),
      ApproximateNumberOfMessagesNotVisible: String(stats.inFlight),
      ApproximateNumberOfMessagesDelayed: String(stats.delayed),
      VisibilityTimeout: String(stats.visibilityTimeoutSeconds),
      ...(dead
        ? {
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: queueArn(dead.queue),
              maxReceiveCount: dead.maxReceiveCount,
            }),
          }
        : {}),
    };
    const wanted = input.AttributeNames ?? [];
    return {
      Attributes: Object.fromEntries(
        Object.entries(all).filter(([k]) => wanted.includes(k as never) || wanted.includes('All')),
      ),
    };
  });
  mock.on(PurgeQueueCommand).callsFake(async (input) => {
    await backing.purge(nameOf(input.QueueUrl));
    return {};
  });
  mock.on(StartMessageMoveTaskCommand).callsFake(async (input) => {
    const source = nameOf(undefined, input.SourceArn);
    const origin = names.find((n) => config[n]?.deadLetter?.queue === source);
    if (!origin || (input.DestinationArn && input.DestinationArn !== queueArn(origin))) {
      throw new Error(`StartMessageMoveTask: ${input.DestinationArn} is not the source queue of ${source}`);
    }
    await backing.redrive(source);
    return { TaskHandle: `task-${source}` };
  });

  return { client, mock, backing };
};

/** The SQS adapter configured for the contract's two queues. */
export const sqsWorkQueue = (
  client: SQSClient,
  config: Readonly<Record<string, QueueConfig>>,
  options: { retryDelayMs?: number } = {},
) =>
  new SqsWorkQueue(client, {
    queues: Object.fromEntries(
      Object.entries(config).map(([name, c]) => [
        name,
        { url: queueUrl(name), deadLetterQueue: c.deadLetter?.queue, maxReceiveCount: c.deadLetter?.maxReceiveCount },
      ]),
    ),
    ...options,
  });
