import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Clock, ConfigError, systemClock } from '@delta-augment/core';
import { S3BlobStore } from './blob-store/aws.js';
import { ARCHIVE_DEAD_LETTER_QUEUE, ARCHIVE_QUEUE, type Config, DEAD_LETTER_QUEUE, UPLOAD_QUEUE } from './config.js';
import { EventBridgeBus } from './event-bus/aws.js';
import { DynamoDbJobEventStore } from './job-event-store/aws.js';
import type { Ports } from './ports.js';
import { SqsWorkQueue } from './work-queue/aws.js';

/** The SDK clients behind the AWS adapters. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly eventBridge: EventBridgeClient;
}

/** The four ports on AWS; `bus.deliver` is how the notifier's ingress feeds subscribers. */
export interface AwsPorts extends Ports {
  readonly blobs: S3BlobStore;
  readonly events: DynamoDbJobEventStore;
  readonly queue: SqsWorkQueue;
  readonly bus: EventBridgeBus;
  readonly clients: AwsClients;
}

type AwsPortsConfig = Pick<Config, 'aws' | 'maxReceiveCount'>;

/**
 * SDK clients for the configured region, each given its own endpoint explicitly when one is configured
 * (`config.aws.endpoints`: AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL). With an S3 endpoint, S3 uses
 * path-style addressing and sends checksums only where the API requires them (many S3-compatible
 * servers reject the SDK's default CRC trailers). With an SQS endpoint, every SQS call goes there,
 * whatever host the queue URL names (`useQueueUrlAsEndpoint: false`): emulators hand out queue URLs
 * whose host need not resolve.
 */
export const awsClients = (config: Pick<Config, 'aws'>): AwsClients => {
  const { region, endpoints } = config.aws;
  const at = (endpoint: string | undefined) => (endpoint ? { region, endpoint } : { region });
  return {
    s3: new S3Client({
      ...at(endpoints.s3),
      forcePathStyle: Boolean(endpoints.s3),
      ...(endpoints.s3
        ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
        : {}),
    }),
    dynamodb: new DynamoDBClient(at(endpoints.dynamodb)),
    sqs: new SQSClient({ ...at(endpoints.sqs), ...(endpoints.sqs ? { useQueueUrlAsEndpoint: false } : {}) }),
    eventBridge: new EventBridgeClient(at(endpoints.eventbridge)),
  };
};

/** The AWS adapters, mirroring `localPorts`. Needs QUEUE_URL and DLQ_URL; `clients` replaces the SDK clients (tests). */
export const awsPorts = (config: AwsPortsConfig, options: { clock?: Clock; clients?: AwsClients } = {}): AwsPorts => {
  const { aws } = config;
  if (!aws.queueUrl) throw new ConfigError('QUEUE_URL must be set when ADAPTERS=aws');
  if (!aws.deadLetterQueueUrl) throw new ConfigError('DLQ_URL must be set when ADAPTERS=aws');
  const clients = options.clients ?? awsClients(config);
  const blobs = new S3BlobStore(clients.s3, {
    buckets: { source: aws.sourceBucket, result: aws.resultBucket },
    clock: options.clock,
  });
  const events = new DynamoDbJobEventStore(clients.dynamodb, aws.table, options.clock ?? systemClock);
  const queue = new SqsWorkQueue(clients.sqs, {
    queues: {
      [UPLOAD_QUEUE]: {
        url: aws.queueUrl,
        deadLetterQueue: DEAD_LETTER_QUEUE,
        maxReceiveCount: config.maxReceiveCount,
      },
      [DEAD_LETTER_QUEUE]: { url: aws.deadLetterQueueUrl },
      ...(aws.archiveQueueUrl
        ? {
            [ARCHIVE_QUEUE]: {
              url: aws.archiveQueueUrl,
              ...(aws.archiveDeadLetterQueueUrl
                ? { deadLetterQueue: ARCHIVE_DEAD_LETTER_QUEUE, maxReceiveCount: config.maxReceiveCount }
                : {}),
            },
          }
        : {}),
      ...(aws.archiveDeadLetterQueueUrl ? { [ARCHIVE_DEAD_LETTER_QUEUE]: { url: aws.archiveDeadLetterQueueUrl } } : {}),
    },
  });
  const bus = new EventBridgeBus(clients.eventBridge, aws.eventBus);
  return {
    blobs,
    events,
    queue,
    bus,
    clients,
    close: async () => {
      await Promise.all([queue.close(), events.close(), bus.close()]);
      if (!options.clients) for (const client of Object.values(clients)) client.destroy();
    },
  };
};
