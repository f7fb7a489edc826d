import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { ACCOUNT_ID } from '../../../infra/synthesize.js';
import { startBoundaryProxy } from './boundary-proxy.js';
import { startDynalite } from './dynalite.js';
import { dynamoDbUsage } from './dynamodb-usage.js';
import { EMULATOR_CREDENTIALS } from './emulator-credentials.js';
import { startEventBridgeStandIn } from './eventbridge-stand-in.js';
import type { InfraModel } from './infra-model.js';
import { S3NotificationStandIn } from './s3-notifications.js';
import { addLambda, chunks64k, countCall, countS3, emptyUsage, s3Operation, type Usage } from './usage.js';

/** Injected faults: S3 GETs of keys containing `s3GetFailsFor` answer 500 InternalError. */
export interface Faults {
  s3GetFailsFor?: string;
}

export interface Emulators {
  /** Per-service endpoints the app's clients use (the counting boundaries). */
  readonly endpoints: { s3: string; sqs: string; sns: string; dynamodb: string; eventbridge: string };
  /** Queue name → URL (a `sqs.<region>.localhost` host: only the per-service endpoint reaches it). */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The stand-ins' and counters' control API: GET /usage, POST /usage/reset, POST /lambda, PUT /faults. */
  readonly controlUrl: string;
  /** The gateway's notification queue (SNS-fed). */
  readonly notifyQueueUrl: string;
  readonly usage: Usage;
  readonly s3Notifications: S3NotificationStandIn;
  close(): Promise<void>;
}

const s3Client = (endpoint: string, region: string) =>
  new S3Client({
    region,
    endpoint,
    forcePathStyle: true,
    credentials: EMULATOR_CREDENTIALS,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

/** Key attribute names of every global secondary index of the declared tables. */
const indexKeysOf = (model: InfraModel): string[][] =>
  model.tables.flatMap((table) =>
    ((table.GlobalSecondaryIndexes ?? []) as { KeySchema: { AttributeName: string }[] }[]).map((index) =>
      index.KeySchema.map((k) => k.AttributeName),
    ),
  );

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

/**
 * Starts fauxqs (SQS, SNS, S3) and dynalite (DynamoDB, behind the project's TransactWriteItems proxy)
 * on 127.0.0.1, each behind a counting boundary proxy, plus the two stand-ins (S3 ObjectCreated
 * notifications, EventBridge PutEvents), and creates what `model` (read from infra) declares: the
 * queues with their attributes and redrive policy, the buckets, the notification filter, the topic,
 * the table and the gateway's SNS-subscribed notification queue.
 */
export const startEmulators = async (model: InfraModel): Promise<Emulators> => {
  const { region } = model;
  const usage = emptyUsage();
  const faults: Faults = {};
  const closers: (() => Promise<void>)[] = [];

  const fauxqs = buildApp({ logger: false, defaultRegion: region });
  await fauxqs.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => fauxqs.close());
  const fauxqsUrl = `http://127.0.0.1:${(fauxqs.server.address() as AddressInfo).port}`;
  const dynalite = await startDynalite();
  closers.push(() => dynalite.close());

  const direct = {
    s3: s3Client(fauxqsUrl, region),
    sqs: new SQSClient({
      region,
      endpoint: fauxqsUrl,
      credentials: EMULATOR_CREDENTIALS,
      useQueueUrlAsEndpoint: false,
    }),
    dynamodb: new DynamoDBClient({ region, endpoint: dynalite.endpoint, credentials: EMULATOR_CREDENTIALS }),
  };
  const queueUrls: Record<string, string> = {};
  const s3Notifications = new S3NotificationStandIn({
    region,
    notifications: model.notifications,
    queueUrls,
    s3: direct.s3,
    sqs: direct.sqs,
  });

  const s3 = await startBoundaryProxy(fauxqsUrl, {
    before: async (exchange) => {
      const operation = s3Operation(
        exchange.method,
        exchange.url.pathname,
        exchange.url.searchParams,
        exchange.headers,
      );
      if (operation !== 'GetObject' || !faults.s3GetFailsFor || !exchange.url.pathname.includes(faults.s3GetFailsFor)) {
        return undefined;
      }
      countS3(usage, operation, 0, 0);
      return {
        status: 500,
        headers: { 'content-type': 'application/xml' },
        body: Buffer.from(
          '<?xml version="1.0"?><Error><Code>InternalError</Code><Message>injected fault</Message></Error>',
        ),
      };
    },
    after: async (exchange) => {
      const operation = s3Operation(
        exchange.method,
        exchange.url.pathname,
        exchange.url.searchParams,
        exchange.headers,
      );
      countS3(usage, operation, exchange.body.length, exchange.responseBody.length);
      await s3Notifications.observe(exchange);
    },
  });
  const sqs = await startBoundaryProxy(fauxqsUrl, {
    after: async (exchange) => {
      const action = (exchange.headers.get('x-amz-target') ?? '').replace('AmazonSQS.', '');
      countCall(usage, 'sqs', action);
      // Empty receives are the idle pollers' cost (per hour, not per variant): counted apart too.
      if (action === 'ReceiveMessage' && !exchange.responseBody.includes('"Messages"')) {
        countCall(usage, 'sqs', 'ReceiveMessage (empty)');
      }
      usage.sqs.requests += chunks64k(Math.max(exchange.body.length, exchange.responseBody.length));
    },
  });
  const sns = await startBoundaryProxy(fauxqsUrl, {
    after: async (exchange) => {
      const form = new URLSearchParams(exchange.body.toString('utf8'));
      const action = form.get('Action') ?? 'unknown';
      countCall(usage, 'sns', action);
      if (action === 'Publish') usage.sns.publishes += chunks64k(Buffer.byteLength(form.get('Message') ?? ''));
      if (action === 'PublishBatch') {
        for (let i = 1; form.has(`PublishBatchRequestEntries.member.${i}.Id`); i++) {
          usage.sns.publishes += chunks64k(
            Buffer.byteLength(form.get(`PublishBatchRequestEntries.member.${i}.Message`) ?? ''),
          );
        }
      }
    },
  });
  const dynamodb = await startBoundaryProxy(
    dynalite.endpoint,
    dynamoDbUsage(
      usage,
      async (table, key) => {
        const out = await direct.dynamodb.send(
          new GetItemCommand({ TableName: table, Key: key as never, ConsistentRead: true }),
        );
        return out.Item as Record<string, unknown> | undefined;
      },
      indexKeysOf(model),
    ),
  );
  closers.push(s3.close, sqs.close, sns.close, dynamodb.close);

  // Resources, through the boundaries (queue URLs then name the SQS boundary); counted, then reset.
  const admin = {
    s3: s3Client(s3.url, region),
    sqs: new SQSClient({ region, endpoint: sqs.url, credentials: EMULATOR_CREDENTIALS, useQueueUrlAsEndpoint: false }),
    sns: new SNSClient({ region, endpoint: sns.url, credentials: EMULATOR_CREDENTIALS }),
  };
  const arnOf = async (QueueUrl: string) =>
    (await admin.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes
      ?.QueueArn ?? '';
  const queues = [...model.queues].sort(
    (a, b) => Number(Boolean(a.deadLetterQueue)) - Number(Boolean(b.deadLetterQueue)),
  );
  for (const queue of queues) {
    const attributes: Record<string, string> = { ...queue.attributes };
    if (queue.deadLetterQueue) {
      const dlqUrl = queueUrls[queue.deadLetterQueue];
      if (!dlqUrl) throw new Error(`queue ${queue.name} redrives to ${queue.deadLetterQueue}, which is not declared`);
      attributes.RedrivePolicy = JSON.stringify({
        deadLetterTargetArn: await arnOf(dlqUrl),
        maxReceiveCount: queue.maxReceiveCount,
      });
    }
    delete attributes.SqsManagedSseEnabled;
    const out = await admin.sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: attributes }));
    queueUrls[queue.name] = out.QueueUrl ?? '';
  }
  for (const bucket of model.buckets) await admin.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const topicArns: Record<string, string> = {};
  for (const topic of model.topics) {
    topicArns[topic] = (await admin.sns.send(new CreateTopicCommand({ Name: topic }))).TopicArn ?? '';
  }
  for (const table of model.tables) await direct.dynamodb.send(new CreateTableCommand(table as never));
  // The gateway instance's own queue, subscribed to the job-events topic, as its boot script does.
  const notify = model.notifyQueue;
  const notifyAttributes: Record<string, string> = { ...notify.attributes };
  delete notifyAttributes.SqsManagedSseEnabled;
  const notifyQueueUrl =
    (
      await admin.sqs.send(
        new CreateQueueCommand({ QueueName: `${notify.prefix}emulated`, Attributes: notifyAttributes }),
      )
    ).QueueUrl ?? '';
  await admin.sns.send(
    new SubscribeCommand({
      TopicArn: topicArns[notify.topic],
      Protocol: 'sqs',
      Endpoint: await arnOf(notifyQueueUrl),
      Attributes: { RawMessageDelivery: String(notify.rawMessageDelivery) },
    }),
  );
  await s3Notifications.sendTestEvents();

  const eventbridge = await startEventBridgeStandIn({
    region,
    account: ACCOUNT_ID,
    buses: model.eventBuses,
    rules: model.rules,
    topicArns,
    sns: admin.sns,
    usage,
  });
  closers.push(eventbridge.close);

  const control = createServer((request, response) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      const route = `${request.method} ${request.url}`;
      if (route === 'POST /usage/reset') Object.assign(usage, emptyUsage());
      else if (route === 'POST /lambda')
        addLambda(usage, body as { records: number; durationMs: number; memoryMb: number });
      else if (route === 'PUT /faults') {
        faults.s3GetFailsFor = typeof body.s3GetFailsFor === 'string' ? body.s3GetFailsFor : undefined;
      } else if (route === 'POST /s3/object-created') {
        await s3Notifications.objectCreated(String(body.bucket), String(body.key));
      } else if (route !== 'GET /usage' && route !== 'GET /health') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(usage));
    })().catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'text/plain' });
      response.end((error as Error).message);
    });
  });
  const controlUrl = await listen(control);
  closers.push(async () => {
    control.closeAllConnections();
    await new Promise<void>((resolve) => control.close(() => resolve()));
  });
  Object.assign(usage, emptyUsage());

  return {
    endpoints: { s3: s3.url, sqs: sqs.url, sns: sns.url, dynamodb: dynamodb.url, eventbridge: eventbridge.url },
    queueUrls,
    controlUrl,
    notifyQueueUrl,
    usage,
    s3Notifications,
    close: async () => {
      for (const client of [...Object.values(admin), ...Object.values(direct)]) client.destroy();
      for (const close of closers.reverse()) await close().catch(() => undefined);
    },
  };
};
