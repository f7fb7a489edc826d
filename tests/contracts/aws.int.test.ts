import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  DynamoDBClient,
  GetItemCommand,
  ProvisionedThroughputExceededException,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import {
  EventBridgeClient,
  ThrottlingException as EventBridgeThrottling,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { AccessDenied, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  GetQueueAttributesCommand,
  InvalidAddress,
  MessageNotInflight,
  ReceiveMessageCommand,
  RequestThrottled,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type DynaliteHandle, startDynalite } from '../../apps/aws-emulated/src/dynalite.js';
import {
  ConcurrencyError,
  ConfigError,
  DeltaError,
  PermanentError,
  ReceiptHandleError,
  TransientError,
} from '../../packages/core/src/errors.js';
import { decideJob } from '../../packages/core/src/jobs/decide.js';
import type { JobEvent } from '../../packages/core/src/jobs/events.js';
import { awsPorts } from '../../packages/ports/src/aws-ports.js';
import { S3BlobStore } from '../../packages/ports/src/blob-store/aws.js';
import { loadConfig } from '../../packages/ports/src/config.js';
import { EventBridgeBus } from '../../packages/ports/src/event-bus/aws.js';
import { DynamoDbJobEventStore } from '../../packages/ports/src/job-event-store/aws.js';
import { SqsWorkQueue } from '../../packages/ports/src/work-queue/aws.js';
import { describeBlobStoreContract, type SignedResponse } from './blob-store.contract.js';
import { describeEventBusContract, streamOf } from './event-bus.contract.js';
import { TestClock } from './helpers/clock.js';
import { jobCreated, sourceStarted, sourceUploaded, variantsWritten } from './helpers/job-events.js';
import { type S3rverHandle, startS3rver } from './helpers/s3rver.js';
import { queueArn, queueUrl, sqsOnSqlite, sqsWorkQueue } from './helpers/sqs-on-sqlite.js';
import { tempDir } from './helpers/temp-dir.js';
import { describeJobEventStoreContract } from './job-event-store.contract.js';
import { contractQueueConfig, DLQ, describeWorkQueueContract, SOURCE } from './work-queue.contract.js';

/** One emulator of each kind for the whole file; every test gets its own buckets or table. */
let s3rver: S3rverHandle;
let dynamo: DynaliteHandle;
before(async () => {
  [s3rver, dynamo] = await Promise.all([startS3rver(), startDynalite()]);
});
after(async () => {
  await Promise.all([s3rver.close(), dynamo.close()]);
});

const metadata = { $metadata: {} };

const s3Blobs = async () => {
  const clock = new TestClock();
  const client = s3rver.client();
  const buckets = await s3rver.freshBuckets();
  const store = new S3BlobStore(client, { buckets, clock });
  const openSignedUrl = async (
    url: string,
    request?: { method: 'PUT'; body: Buffer; contentType: string },
  ): Promise<SignedResponse> => {
    const response = await fetch(
      url,
      request
        ? { method: 'PUT', body: new Uint8Array(request.body), headers: { 'content-type': request.contentType } }
        : undefined,
    );
    return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
  };
  return { store, clock, client, buckets, openSignedUrl, cleanup: async () => client.destroy() };
};

// s3rver checks a presigned URL's expiry and access key but not its SigV4 signature
// (lib/middleware/authentication.js: "Signature version 4 calculation is unimplemeneted").
describeBlobStoreContract('S3BlobStore on s3rver', s3Blobs, { verifiesSignatures: false });

describeJobEventStoreContract('DynamoDbJobEventStore on dynalite', async () => {
  const clock = new TestClock();
  const client = dynamo.client();
  const store = new DynamoDbJobEventStore(client, await dynamo.createJobsTable(), clock);
  return { store, clock, cleanup: async () => client.destroy() };
});

describeWorkQueueContract('SqsWorkQueue on aws-sdk-client-mock', async () => {
  const { dir, remove } = await tempDir('sqs');
  const clock = new TestClock();
  const { client, mock, backing } = sqsOnSqlite(join(dir, 'queue.sqlite'), contractQueueConfig(), clock);
  return {
    queue: sqsWorkQueue(client, contractQueueConfig()),
    clock,
    limits: { noOldestAge: true, peekCountsAsReceive: true },
    cleanup: async () => {
      mock.restore();
      await backing.close();
      await remove();
    },
  };
});

/** EventBridge over aws-sdk-client-mock: each accepted entry reaches the bus's `deliver`, as the notifier's ingress would. */
const eventBridgeOnMock = () => {
  const client = new EventBridgeClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const mock = mockClient(client);
  const bus = new EventBridgeBus(client, 'jobs-bus', { retryDelayMs: 1 });
  return { client, mock, bus };
};

describeEventBusContract('EventBridgeBus on aws-sdk-client-mock', async () => {
  const { mock, bus } = eventBridgeOnMock();
  let id = 0;
  mock.on(PutEventsCommand).callsFake(async (input) => {
    const entries = input.Entries ?? [];
    for (const entry of entries) {
      const envelope = {
        source: entry.Source,
        'detail-type': entry.DetailType,
        detail: JSON.parse(entry.Detail ?? 'null'),
      };
      setImmediate(() => bus.deliver(envelope));
    }
    return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: `event-${++id}` })) };
  });
  return {
    bus,
    cleanup: async () => {
      mock.restore();
      await bus.close();
    },
  };
});

describe('S3BlobStore, beyond the contract', () => {
  let fx: Awaited<ReturnType<typeof s3Blobs>>;
  beforeEach(async () => {
    fx = await s3Blobs();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  const keysIn = async (Bucket: string) =>
    ((await fx.client.send(new ListObjectsV2Command({ Bucket }))).Contents ?? []).map((o) => o.Key);

  describe('when objects are written', () => {
    it('puts sources in the source bucket (whose notifications feed the queue) and everything else in the result bucket', async () => {
      await fx.store.put('sources/j/s/cat.jpg', Buffer.from('src'));
      await fx.store.put('results/j/s/0000.jpg', Buffer.from('res'));
      assert.deepEqual(await keysIn(fx.buckets.source), ['sources/j/s/cat.jpg']);
      assert.deepEqual(await keysIn(fx.buckets.result), ['results/j/s/0000.jpg']);
    });
  });

  describe('when a stream larger than one part is put', () => {
    it('uploads it in parts and stores every byte', async () => {
      const store = new S3BlobStore(fx.client, { buckets: fx.buckets, partSize: 5 * 1024 * 1024 });
      const part = Buffer.alloc(1024 * 1024, 1);
      const parts = Array.from({ length: 6 }, (_, i) => Buffer.concat([Buffer.from(`part ${i}`), part]));
      const head = await store.put('results/j/big.zip', Readable.from(parts));
      const stored = await store.getBuffer('results/j/big.zip');
      assert.equal(head.size, Buffer.concat(parts).length);
      assert.equal(Buffer.compare(stored, Buffer.concat(parts)), 0);
    });
  });

  describe('when S3 fails', () => {
    it('turns throttling into TransientError and a refusal into a DeltaError, never an SDK exception', async () => {
      const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      const mock = mockClient(client);
      const slowDown = Object.assign(new Error('Please reduce your request rate.'), {
        name: 'SlowDown',
        $fault: 'server',
        ...metadata,
      });
      mock.on(GetObjectCommand, { Key: 'results/slow' }).rejects(slowDown);
      mock
        .on(GetObjectCommand, { Key: 'results/denied' })
        .rejects(new AccessDenied({ message: 'Access Denied', ...metadata }));
      const store = new S3BlobStore(client, { buckets: { source: 's', result: 'r' } });
      await assert.rejects(store.get('results/slow'), TransientError);
      const denied = await store.get('results/denied').catch((e: unknown) => e);
      assert.ok(denied instanceof DeltaError && !(denied instanceof TransientError));
      assert.equal(denied.code, 'AWS_AccessDenied');
      mock.restore();
    });

    it('lists every page of a truncated listing, across both buckets for a short prefix', async () => {
      const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      const mock = mockClient(client);
      mock
        .on(ListObjectsV2Command, { Bucket: 'r' })
        .resolvesOnce({ Contents: [{ Key: 'results/b' }], IsTruncated: true, NextContinuationToken: 'page-2' })
        .resolvesOnce({ Contents: [{ Key: 'results/a' }], IsTruncated: false });
      mock.on(ListObjectsV2Command, { Bucket: 's' }).resolves({ Contents: [{ Key: 'sources/x' }], IsTruncated: false });
      const store = new S3BlobStore(client, { buckets: { source: 's', result: 'r' } });
      const keys = await store.list('');
      const tokens = mock
        .commandCalls(ListObjectsV2Command, { Bucket: 'r' })
        .map((c) => c.args[0].input.ContinuationToken);
      assert.deepEqual(keys, ['results/a', 'results/b', 'sources/x']);
      assert.deepEqual(tokens, [undefined, 'page-2']);
      mock.restore();
    });
  });
});

describe('DynamoDbJobEventStore, beyond the contract', () => {
  let client: DynamoDBClient;
  let table: string;
  let store: DynamoDbJobEventStore;
  beforeEach(async () => {
    client = dynamo.client();
    table = await dynamo.createJobsTable();
    store = new DynamoDbJobEventStore(client, table);
  });
  afterEach(() => client.destroy());

  describe('when a job is appended', () => {
    it('writes the item layout infra indexes: EVT# items, SRC# records and a STATE record with owner, createdAt and a TTL in epoch seconds', async () => {
      // Act
      await store.appendToJob('job-1', 0, [
        jobCreated({ owner: 'alice', tags: ['cats'], expiresAt: '2031-02-03T04:05:06.789Z' }),
      ]);
      await store.appendToSource('job-1', 's1', 0, [sourceUploaded()]);
      // Assess
      const items =
        (
          await client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': { S: 'JOB#job-1' } },
            }),
          )
        ).Items ?? [];
      const state = unmarshall(items.find((i) => i.sk?.S === 'STATE') ?? {});
      assert.deepEqual(
        items.map((i) => i.sk?.S),
        ['EVT#0000000001', 'EVT#0000000002', 'SRC#s1', 'STATE'],
      );
      assert.equal(state.owner, 'alice');
      assert.equal(state.status, 'queued');
      assert.equal(state.seq, 2);
      assert.equal(state.uploaded, 1);
      assert.deepEqual(state.tags, ['cats']);
      assert.equal(state.expiresAt, Math.floor(Date.parse('2031-02-03T04:05:06.789Z') / 1000));
      assert.equal(typeof state.createdAt, 'string');
    });
  });

  describe('when a job has thousands of sources and variants', () => {
    it('keeps every item small: the job record and the source records do not grow with the job', async () => {
      // Prepare
      const sources = Array.from({ length: 1800 }, (_, i) => `source-${String(i).padStart(5, '0')}`);
      const sizeOf = async (sk: string) => {
        const raw = (
          await client.send(new GetItemCommand({ TableName: table, Key: { pk: { S: 'JOB#job-big' }, sk: { S: sk } } }))
        ).Item;
        return JSON.stringify(raw).length;
      };
      await store.appendToJob(
        'job-big',
        0,
        decideJob(
          {
            type: 'CreateJob',
            owner: 'alice',
            pipeline: { seed: 1 },
            variants: 2000,
            tags: [],
            sources: sources.map((sourceId) => ({
              sourceId,
              name: `${sourceId}.jpg`,
              label: '',
              key: `k/${sourceId}`,
            })),
            expiresAt: '2099-01-01T00:00:00.000Z',
          },
          undefined,
        ),
      );
      const small = await sizeOf('STATE');
      // Act
      let version = 0;
      for (let from = 0; from < 2000; from += 50) {
        const indices = Array.from({ length: 50 }, (_, i) => from + i);
        version = (
          await store.appendToSource('job-big', 'source-00042', version, [variantsWritten('source-00042', indices)])
        ).source.version;
      }
      // Assess
      const loaded = await store.load('job-big');
      assert.equal(loaded?.counts.variants, 2000);
      assert.ok((await sizeOf('STATE')) < small + 100, 'the job record stays the same size');
      assert.ok((await sizeOf('SRC#source-00042')) < 2048, 'a source with 2,000 variants stays under 2 KB');
      assert.equal((await store.loadSource('job-big', 'source-00042'))?.variants, 2000);
    });
  });

  describe('when two processes take the next seq of a job at the same moment', () => {
    it('retries only the seq, not the decision, and every append lands', async () => {
      // Prepare: one store per process, appending for different sources of one job
      const others = [1, 2].map(() => new DynamoDbJobEventStore(client, table));
      await store.appendToJob('job-1', 0, [jobCreated({ sources: ['a', 'b', 'c'] })]);
      // Act
      await Promise.all(
        [store, ...others].map((s, i) => {
          const id = ['a', 'b', 'c'][i] as string;
          return s.appendToSource('job-1', id, 0, [sourceStarted(id)]);
        }),
      );
      // Assess
      assert.deepEqual(
        (await store.read('job-1')).map((e) => e.seq),
        [1, 2, 3, 4],
      );
    });
  });

  describe('when one process appends for many sources of a job at once', () => {
    it('queues them per job: every append lands in order and none is retried (no write billed twice)', async () => {
      // Prepare
      const sources = Array.from({ length: 12 }, (_, i) => `s${i}`);
      await store.appendToJob('job-1', 0, [jobCreated({ sources })]);
      // Act
      await Promise.all(sources.map((id) => store.appendToSource('job-1', id, 0, [sourceStarted(id)])));
      await Promise.all(sources.map((id) => store.appendToSource('job-1', id, 1, [variantsWritten(id, [0])])));
      // Assess
      assert.equal(store.seqRetries, 0);
      const events = await store.read('job-1');
      assert.deepEqual(
        events.map((e) => e.seq),
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
      assert.equal((await store.load('job-1'))?.counts.variants, 12);
    });
  });

  describe('when DynamoDB throttles or cancels', () => {
    const mocked = () => {
      const mockedClient = new DynamoDBClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      return { mock: mockClient(mockedClient), mockedStore: new DynamoDbJobEventStore(mockedClient, 'jobs') };
    };

    it('reports ProvisionedThroughputExceeded as TransientError', async () => {
      const { mock, mockedStore } = mocked();
      mock
        .on(GetItemCommand)
        .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', ...metadata }));
      await assert.rejects(mockedStore.load('job-1'), TransientError);
      mock.restore();
    });

    it('reports a transaction cancelled by throttling as TransientError and by a failed condition as ConcurrencyError', async () => {
      const { mock, mockedStore } = mocked();
      const cancelled = (code: string) =>
        new TransactionCanceledException({
          message: `cancelled [${code}]`,
          CancellationReasons: [{ Code: 'None' }, { Code: code }],
          ...metadata,
        });
      const source = {
        sourceId: 's1',
        name: 'a',
        label: '',
        key: 'k',
        version: 0,
        status: 'pending',
        attempts: 0,
        variants: 0,
        written: '',
      };
      mock.on(GetItemCommand).callsFake(async (input: { Key: { sk: { S: string } } }) => ({
        Item:
          input.Key.sk.S === 'STATE'
            ? marshall({
                pk: 'JOB#job-1',
                sk: 'STATE',
                owner: 'o',
                createdAt: 'c',
                updatedAt: 'c',
                expiresIso: '2099-01-01T00:00:00.000Z',
                seq: 1,
                sourceCount: 1,
                uploaded: 0,
                started: 0,
                settled: 0,
                failed: 0,
                variants: 0,
                header: JSON.stringify({ pipeline: { seed: 1 }, variantsPerSource: 1, tags: [] }),
              })
            : marshall({ pk: 'JOB#job-1', sk: 'SRC#s1', version: 0, state: JSON.stringify(source) }),
      }));
      mock
        .on(TransactWriteItemsCommand)
        .rejectsOnce(cancelled('ThrottlingError'))
        .rejectsOnce(cancelled('ConditionalCheckFailed'));
      const started = [sourceStarted()];
      await assert.rejects(mockedStore.appendToSource('job-1', 's1', 0, started), TransientError);
      await assert.rejects(mockedStore.appendToSource('job-1', 's1', 0, started), ConcurrencyError);
      mock.restore();
    });
  });
});

describe('SqsWorkQueue, beyond the contract', () => {
  const plain = () => {
    const client = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const mock = mockClient(client);
    const queue = new SqsWorkQueue(client, {
      queues: {
        [SOURCE]: { url: queueUrl(SOURCE), deadLetterQueue: DLQ, maxReceiveCount: 3 },
        [DLQ]: { url: queueUrl(DLQ) },
      },
      retryDelayMs: 1,
    });
    return { mock, queue };
  };

  describe('when SQS throttles', () => {
    it('rejects with TransientError', async () => {
      const { mock, queue } = plain();
      mock.on(ReceiveMessageCommand).rejects(new RequestThrottled({ message: 'Request is throttled.', ...metadata }));
      await assert.rejects(queue.receive(SOURCE), TransientError);
      mock.restore();
    });
  });

  describe('when a batch is sent and SQS fails some entries', () => {
    it('retries only the failed entries and returns every message id in order', async () => {
      // Prepare
      const { mock, queue } = plain();
      mock
        .on(SendMessageBatchCommand)
        .resolvesOnce({
          Successful: [
            { Id: '0', MessageId: 'm0', MD5OfMessageBody: '' },
            { Id: '2', MessageId: 'm2', MD5OfMessageBody: '' },
          ],
          Failed: [{ Id: '1', Code: 'InternalError', SenderFault: false }],
        })
        .resolvesOnce({ Successful: [{ Id: '1', MessageId: 'm1', MD5OfMessageBody: '' }], Failed: [] });
      // Act
      const { messageIds } = await queue.sendBatch(SOURCE, ['a', 'b', 'c']);
      // Assess
      const calls = mock
        .commandCalls(SendMessageBatchCommand)
        .map((c) => c.args[0].input.Entries?.map((e) => e.MessageBody));
      assert.deepEqual(messageIds, ['m0', 'm1', 'm2']);
      assert.deepEqual(calls, [['a', 'b', 'c'], ['b']]);
      mock.restore();
    });

    it('gives up with TransientError when entries keep failing', async () => {
      const { mock, queue } = plain();
      mock
        .on(SendMessageBatchCommand)
        .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'ServiceUnavailable', SenderFault: false }] });
      await assert.rejects(queue.sendBatch(SOURCE, ['a']), TransientError);
      assert.equal(mock.commandCalls(SendMessageBatchCommand).length, 3);
      mock.restore();
    });

    it('fails at once with PermanentError for an entry refused as the sender’s fault', async () => {
      const { mock, queue } = plain();
      mock
        .on(SendMessageBatchCommand)
        .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }] });
      await assert.rejects(queue.sendBatch(SOURCE, ['\u0000']), PermanentError);
      assert.equal(mock.commandCalls(SendMessageBatchCommand).length, 1);
      mock.restore();
    });

    it('splits 25 bodies into batches of 10, 10 and 5 that all arrive', async () => {
      const { dir, remove } = await tempDir('sqs-batch');
      const { client, mock, backing } = sqsOnSqlite(join(dir, 'queue.sqlite'), contractQueueConfig(), new TestClock());
      try {
        const queue = sqsWorkQueue(client, contractQueueConfig());
        const bodies = Array.from({ length: 25 }, (_, i) => `body-${i}`);
        const { messageIds } = await queue.sendBatch(SOURCE, bodies);
        const sizes = mock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
        assert.deepEqual(sizes, [10, 10, 5]);
        assert.equal(new Set(messageIds).size, 25);
        assert.deepEqual(
          (await backing.peek(SOURCE, { max: 100 })).map((m) => m.body),
          bodies,
        );
      } finally {
        mock.restore();
        await backing.close();
        await remove();
      }
    });
  });

  describe('when a receipt handle is no longer current', () => {
    it('maps MessageNotInflight and an expired-handle InvalidParameterValue to ReceiptHandleError', async () => {
      const { mock, queue } = plain();
      const expired = Object.assign(
        new Error('Value x for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.'),
        {
          name: 'InvalidParameterValue',
          ...metadata,
        },
      );
      mock
        .on(ChangeMessageVisibilityCommand)
        .rejectsOnce(new MessageNotInflight({ message: 'Message not inflight.', ...metadata }))
        .rejectsOnce(expired)
        .rejectsOnce(new InvalidAddress({ message: 'bad address', ...metadata }));
      await assert.rejects(queue.changeVisibility(SOURCE, 'h1', 10), ReceiptHandleError);
      await assert.rejects(queue.changeVisibility(SOURCE, 'h2', 10), ReceiptHandleError);
      const other = await queue.changeVisibility(SOURCE, 'h3', 10).catch((e: unknown) => e);
      assert.ok(other instanceof DeltaError && !(other instanceof ReceiptHandleError));
      mock.restore();
    });
  });

  describe('when the whole dead-letter queue is redriven', () => {
    it('starts a message move task from the DLQ ARN to the source queue ARN', async () => {
      const { dir, remove } = await tempDir('sqs-move');
      const clock = new TestClock();
      const { client, mock, backing } = sqsOnSqlite(join(dir, 'queue.sqlite'), contractQueueConfig(), clock);
      try {
        await backing.send(DLQ, 'dead');
        const result = await sqsWorkQueue(client, contractQueueConfig()).redrive(DLQ);
        const [call] = mock.commandCalls(StartMessageMoveTaskCommand);
        assert.equal(result.moved, 1);
        assert.equal(call?.args[0].input.SourceArn, queueArn(DLQ));
        assert.equal(call?.args[0].input.DestinationArn, queueArn(SOURCE));
      } finally {
        mock.restore();
        await backing.close();
        await remove();
      }
    });
  });
  describe('when the DLQ reports ApproximateNumberOfMessages 0 but holds a message', () => {
    it('starts the move task anyway and the message reaches the source queue', async () => {
      // Prepare: the attribute lags (or reads 0 after a peek with visibility 0)
      const { dir, remove } = await tempDir('sqs-move-stale');
      const clock = new TestClock();
      const { client, mock, backing } = sqsOnSqlite(join(dir, 'queue.sqlite'), contractQueueConfig(), clock);
      mock.on(GetQueueAttributesCommand).callsFake(async (input) => ({
        Attributes: {
          QueueArn: input.QueueUrl === queueUrl(DLQ) ? queueArn(DLQ) : queueArn(SOURCE),
          ApproximateNumberOfMessages: '0',
        },
      }));
      try {
        await backing.send(DLQ, 'dead but not counted');
        // Act
        await sqsWorkQueue(client, contractQueueConfig()).redrive(DLQ);
        // Assess
        assert.equal(mock.commandCalls(StartMessageMoveTaskCommand).length, 1);
        const [back] = await backing.receive(SOURCE, { maxMessages: 10 });
        assert.equal(back?.body, 'dead but not counted');
      } finally {
        mock.restore();
        await backing.close();
        await remove();
      }
    });
  });

  describe('when the service has no StartMessageMoveTask (an emulator) and the count reads 0', () => {
    it('moves messages one by one until a receive comes back empty', async () => {
      // Prepare
      const { dir, remove } = await tempDir('sqs-move-unsupported');
      const clock = new TestClock();
      const { client, mock, backing } = sqsOnSqlite(join(dir, 'queue.sqlite'), contractQueueConfig(), clock);
      mock.on(GetQueueAttributesCommand).callsFake(async (input) => ({
        Attributes: {
          QueueArn: input.QueueUrl === queueUrl(DLQ) ? queueArn(DLQ) : queueArn(SOURCE),
          ApproximateNumberOfMessages: '0',
        },
      }));
      mock
        .on(StartMessageMoveTaskCommand)
        .rejects(Object.assign(new Error('Unknown action: StartMessageMoveTask'), { name: 'InvalidAction' }));
      try {
        for (let i = 0; i < 12; i++) await backing.send(DLQ, `dead ${i}`);
        // Act
        const result = await sqsWorkQueue(client, contractQueueConfig()).redrive(DLQ);
        // Assess
        assert.equal(result.moved, 12);
        assert.equal((await backing.stats(DLQ)).visible, 0);
        assert.equal((await backing.stats(SOURCE)).visible, 12);
      } finally {
        mock.restore();
        await backing.close();
        await remove();
      }
    });
  });
});

describe('EventBridgeBus, beyond the contract', () => {
  const events = (count: number): JobEvent[] => streamOf('job-1', count);

  describe('when more than 10 events are published', () => {
    it('sends PutEvents in chunks of 10 with source, detail type and the event as detail', async () => {
      const { mock, bus } = eventBridgeOnMock();
      mock.on(PutEventsCommand).callsFake(async (input) => ({
        FailedEntryCount: 0,
        Entries: (input.Entries ?? []).map(() => ({ EventId: 'e' })),
      }));
      const published = events(25);
      await bus.publish(published);
      const calls = mock.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries ?? []);
      assert.deepEqual(
        calls.map((entries) => entries.length),
        [10, 10, 5],
      );
      const entries = calls.flat();
      assert.ok(entries.every((e) => e.Source === 'delta-augment.jobs' && e.EventBusName === 'jobs-bus'));
      assert.deepEqual(
        entries.map((e) => e.DetailType),
        published.map((e) => e.type),
      );
      assert.deepEqual(
        entries.map((e) => JSON.parse(e.Detail ?? '')),
        published,
      );
      mock.restore();
    });
  });

  describe('when PutEvents reports failed entries', () => {
    it('retries only the failed entries', async () => {
      const { mock, bus } = eventBridgeOnMock();
      mock
        .on(PutEventsCommand)
        .resolvesOnce({
          FailedEntryCount: 2,
          Entries: [
            { EventId: 'a' },
            { ErrorCode: 'InternalFailure' },
            { EventId: 'c' },
            { ErrorCode: 'ThrottlingException' },
          ],
        })
        .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }, { EventId: 'd' }] });
      const published = events(4);
      await bus.publish(published);
      const calls = mock
        .commandCalls(PutEventsCommand)
        .map((c) => (c.args[0].input.Entries ?? []).map((e) => JSON.parse(e.Detail ?? '').seq));
      assert.deepEqual(calls, [
        [1, 2, 3, 4],
        [2, 4],
      ]);
      mock.restore();
    });

    it('gives up with TransientError after 3 retries', async () => {
      const { mock, bus } = eventBridgeOnMock();
      mock
        .on(PutEventsCommand)
        .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
      await assert.rejects(bus.publish(events(1)), TransientError);
      assert.equal(mock.commandCalls(PutEventsCommand).length, 4);
      mock.restore();
    });
  });

  describe('when PutEvents is throttled', () => {
    it('rejects with TransientError', async () => {
      const { mock, bus } = eventBridgeOnMock();
      mock.on(PutEventsCommand).rejects(new EventBridgeThrottling({ message: 'Rate exceeded', ...metadata }));
      await assert.rejects(bus.publish(events(1)), TransientError);
      mock.restore();
    });
  });

  describe('when the ingress delivers an event', () => {
    it('accepts the EventBridge envelope with the detail as JSON text, and refuses anything else', async () => {
      const { bus } = eventBridgeOnMock();
      const received: JobEvent[] = [];
      bus.subscribe((event) => received.push(event));
      const [event] = events(1);
      bus.deliver({ source: 'delta-augment.jobs', 'detail-type': 'JobCreated', detail: JSON.stringify(event) });
      assert.deepEqual(received, [event]);
      assert.throws(() => bus.deliver({ detail: { hello: 'world' } }), { code: 'INVALID_EVENT' });
      assert.throws(() => bus.deliver('not json'), { code: 'INVALID_EVENT' });
    });
  });
});

describe('awsPorts', () => {
  describe('when QUEUE_URL is missing', () => {
    it('refuses to start with a ConfigError naming it', () => {
      const config = loadConfig({ ADAPTERS: 'aws', DLQ_URL: queueUrl(DLQ) });
      assert.throws(
        () => awsPorts(config),
        (error: unknown) => error instanceof ConfigError && /QUEUE_URL/.test(error.message),
      );
    });
  });

  describe('when an endpoint override is configured', () => {
    it('sends S3 calls there with path-style addressing', async () => {
      // Prepare
      const buckets = await s3rver.freshBuckets();
      const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
      process.env.AWS_ACCESS_KEY_ID = s3rver.credentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3rver.credentials.secretAccessKey;
      const config = loadConfig({
        ADAPTERS: 'aws',
        AWS_ENDPOINT_URL: s3rver.endpoint,
        SOURCE_BUCKET: buckets.source,
        RESULT_BUCKET: buckets.result,
        QUEUE_URL: queueUrl(SOURCE),
        DLQ_URL: queueUrl(DLQ),
      });
      const ports = awsPorts(config);
      try {
        // Act
        await ports.blobs.put('sources/j/s/x.jpg', Buffer.from('through the override'));
        // Assess
        assert.equal(await ports.blobs.ping(), true);
        assert.equal((await ports.blobs.getBuffer('sources/j/s/x.jpg')).toString(), 'through the override');
        assert.equal(await ports.clients.s3.config.forcePathStyle, true);
      } finally {
        await ports.close();
        if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
        else process.env.AWS_ACCESS_KEY_ID = saved.id;
        if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
        else process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      }
    });
  });
});
