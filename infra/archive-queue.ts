import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { ARCHIVER } from './augmenter.js';
import { visibilityTimeoutFor } from './settings.js';

/** An archive request is retried twice before it is dead-lettered (and the job recorded as failed). */
export const ARCHIVE_MAX_RECEIVE_COUNT = ARCHIVER.maxReceiveCount;

/**
 * The archive request queue: the augmenter sends one message per settled job, the archiver function
 * consumes it. Its visibility timeout follows the archiver's 900 s timeout (6x, as for the upload
 * queue); after {@link ARCHIVE_MAX_RECEIVE_COUNT} receives a request moves to its dead-letter queue,
 * which allows redrive back to this queue only.
 */
export class ArchiveQueue extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  readonly deadLetterQueue: aws.sqs.Queue;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:queue:ArchiveQueue', name, {}, opts);
    this.deadLetterQueue = new aws.sqs.Queue(
      `${name}-dlq`,
      { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true },
      { parent: this },
    );
    this.queue = new aws.sqs.Queue(
      name,
      {
        visibilityTimeoutSeconds: visibilityTimeoutFor(ARCHIVER.timeoutSeconds, 0),
        messageRetentionSeconds: 4 * 24 * 3600,
        receiveWaitTimeSeconds: 20,
        sqsManagedSseEnabled: true,
        redrivePolicy: pulumi.jsonStringify({
          deadLetterTargetArn: this.deadLetterQueue.arn,
          maxReceiveCount: ARCHIVE_MAX_RECEIVE_COUNT,
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
    this.registerOutputs({ queueUrl: this.queue.url });
  }
}
