import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument } from './iam.js';

export interface UploadQueueArgs {
  /** The bucket whose `sources/` ObjectCreated events feed the queue. */
  readonly sourcesBucket: aws.s3.Bucket;
  readonly accountId: pulumi.Input<string>;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Computed from the consumer's timeout (6x the Lambda timeout), never hard-coded. */
  readonly visibilityTimeoutSeconds: number;
}

/** SQS keeps an upload message 4 days; its dead letters 14 days (the most SQS allows). */
const UPLOAD_RETENTION_SECONDS = 4 * 24 * 3600;
const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

/**
 * The upload queue and its dead-letter queue. S3 sends ObjectCreated events for `sources/` keys to
 * the queue; the queue policy admits only that bucket (aws:SourceArn) of this account. After
 * `maxReceiveCount` receives a message moves to the DLQ, which allows redrive back to the upload
 * queue only (operators use StartMessageMoveTask). Its alarms live in `Monitoring`.
 */
export class UploadQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;
  /** The S3 → SQS notification (created once the queue policy admits the bucket). */
  readonly notification: aws.s3.BucketNotification;

  constructor(name: string, args: UploadQueueArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:queue:UploadQueue', name, {}, opts);

    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: DEAD_LETTER_RETENTION_SECONDS, sqsManagedSseEnabled: true },
      { parent: this },
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        visibilityTimeoutSeconds: args.visibilityTimeoutSeconds,
        messageRetentionSeconds: UPLOAD_RETENTION_SECONDS,
        receiveWaitTimeSeconds: 20,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: this.deadLetterQueue.arn,
          maxReceiveCount: args.maxReceiveCount,
        }),
      },
      { parent: this },
    );
    new aws.sqs.RedriveAllowPolicy(
      `${name}-dlq-redrive-allow`,
      {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: pulumi.jsonStringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
      },
      { parent: this },
    );

    const policy = new aws.sqs.QueuePolicy(
      `${name}-policy`,
      {
        queueUrl: this.queue.url,
        policy: policyDocument([
          {
            Sid: 'SourcesBucketObjectCreated',
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
            Condition: {
              ArnEquals: { 'aws:SourceArn': args.sourcesBucket.arn },
              StringEquals: { 'aws:SourceAccount': args.accountId },
            },
          },
        ]),
      },
      { parent: this },
    );
    this.notification = new aws.s3.BucketNotification(
      `${name}-notification`,
      {
        bucket: args.sourcesBucket.bucket,
        queues: [{ queueArn: this.queue.arn, events: ['s3:ObjectCreated:*'], filterPrefix: 'sources/' }],
      },
      { parent: this, dependsOn: [policy] },
    );

    this.registerOutputs({ queueUrl: this.queue.url, deadLetterQueueUrl: this.deadLetterQueue.url });
  }
}
