import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { encodeS3Key } from '@delta-augment/core';
import type { Exchange } from './boundary-proxy.js';
import type { NotificationModel } from './infra-model.js';
import { s3Operation } from './usage.js';

/** The ObjectCreated event name S3 gives each operation that creates an object. */
const CREATED: Readonly<Record<string, string>> = {
  PutObject: 'ObjectCreated:Put',
  PostObject: 'ObjectCreated:Post',
  CopyObject: 'ObjectCreated:Copy',
  CompleteMultipartUpload: 'ObjectCreated:CompleteMultipartUpload',
};

/** `s3:ObjectCreated:*` matches every ObjectCreated event; other names match exactly. */
export const eventMatches = (configured: readonly string[], eventName: string): boolean =>
  configured.some((pattern) =>
    pattern.endsWith(':*') ? `s3:${eventName}`.startsWith(pattern.slice(0, -1)) : pattern === `s3:${eventName}`,
  );

/** Prefix and suffix rules apply to the object key as stored (not URL-encoded). */
export const keyMatches = (notification: NotificationModel, key: string): boolean =>
  key.startsWith(notification.filterPrefix ?? '') && key.endsWith(notification.filterSuffix ?? '');

export interface S3NotifierOptions {
  readonly region: string;
  readonly notifications: readonly NotificationModel[];
  /** Queue name → URL on the SQS emulator. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** Talks to the S3 emulator directly (its HEADs are not counted). */
  readonly s3: S3Client;
  /** Sends to the SQS emulator directly: S3's deliveries to SQS are not billed as SQS requests. */
  readonly sqs: SQSClient;
}

/**
 * STAND-IN for S3 event notifications to SQS, which fauxqs does not implement. After the emulator
 * answers 2xx to an operation that creates an object (PutObject, CopyObject, POST upload,
 * CompleteMultipartUpload), it sends the event that S3 would send to every queue whose notification
 * configuration (from infra) matches the bucket, the event name (`s3:ObjectCreated:*`) and the key's
 * prefix and suffix filter. The message is S3's documented event structure (eventVersion 2.1, the key
 * URL-encoded with spaces as '+', size, eTag, a sequencer), and `s3:TestEvent` is sent to each queue
 * when the configuration is applied, as S3 does. Like S3, it may be asked to deliver the same event
 * twice (`redeliver`), which the handler must tolerate. Unlike S3, delivery is synchronous with the
 * write, never lost and never late.
 */
export class S3NotificationStandIn {
  private sequence = 0;

  constructor(private readonly options: S3NotifierOptions) {}

  /** The `s3:TestEvent` S3 sends to a queue when a notification configuration is put on a bucket. */
  async sendTestEvents(): Promise<void> {
    for (const notification of this.options.notifications) {
      await this.deliver(notification.queue, {
        Service: 'Amazon S3',
        Event: 's3:TestEvent',
        Time: new Date().toISOString(),
        Bucket: notification.bucket,
        RequestId: randomUUID(),
        HostId: 'aws-emulated',
      });
    }
  }

  /** Boundary hook: called with every S3 exchange after the emulator answered. */
  async observe(exchange: Exchange): Promise<void> {
    if (exchange.status < 200 || exchange.status >= 300) return;
    const operation = s3Operation(exchange.method, exchange.url.pathname, exchange.url.searchParams, exchange.headers);
    const eventName = CREATED[operation];
    if (!eventName) return;
    // S3 can answer CompleteMultipartUpload with 200 and an error document.
    if (operation === 'CompleteMultipartUpload' && exchange.responseBody.includes('<Error>')) return;
    const [bucketPart = '', ...keyParts] = exchange.url.pathname.replace(/^\//, '').split('/');
    const bucket = decodeURIComponent(bucketPart);
    const key = keyParts.map(decodeURIComponent).join('/');
    await this.objectCreated(bucket, key, eventName);
  }

  /** Sends the ObjectCreated event of an existing object to every matching queue. */
  async objectCreated(bucket: string, key: string, eventName = 'ObjectCreated:Put'): Promise<number> {
    const matching = this.options.notifications.filter(
      (n) => n.bucket === bucket && eventMatches(n.events, eventName) && keyMatches(n, key),
    );
    if (matching.length === 0) return 0;
    const head = await this.options.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    this.sequence += 1;
    for (const notification of matching) {
      await this.deliver(notification.queue, {
        Records: [
          {
            eventVersion: '2.1',
            eventSource: 'aws:s3',
            awsRegion: this.options.region,
            eventTime: new Date().toISOString(),
            eventName,
            userIdentity: { principalId: 'AWS:EMULATED' },
            requestParameters: { sourceIPAddress: '127.0.0.1' },
            responseElements: { 'x-amz-request-id': randomUUID(), 'x-amz-id-2': 'aws-emulated' },
            s3: {
              s3SchemaVersion: '1.0',
              configurationId: `${notification.queue}-notification`,
              bucket: { name: bucket, ownerIdentity: { principalId: 'EMULATED' }, arn: `arn:aws:s3:::${bucket}` },
              object: {
                key: encodeS3Key(key),
                size: head.ContentLength ?? 0,
                eTag: (head.ETag ?? '').replace(/"/g, ''),
                sequencer: this.sequence.toString(16).toUpperCase().padStart(16, '0'),
              },
            },
          },
        ],
      });
    }
    return matching.length;
  }

  private async deliver(queue: string, event: unknown): Promise<void> {
    const QueueUrl = this.options.queueUrls[queue];
    if (!QueueUrl) throw new Error(`S3 notification stand-in: no queue ${queue}`);
    await this.options.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify(event) }));
  }
}
