import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument, type Statement } from './iam.js';

/** How EventBridge retries a target before it gives the event to the dead-letter queue. */
export const EVENT_TARGET_RETRY = { maximumEventAgeInSeconds: 3600, maximumRetryAttempts: 12 } as const;

/**
 * The dead-letter queue of every EventBridge target of the stack (job events → SNS, lifecycle and
 * schedule → the janitor): an event that EventBridge could not deliver after {@link EVENT_TARGET_RETRY}
 * lands here instead of vanishing, and the `FailedInvocations`/DLQ alarms fire. Its policy admits
 * EventBridge for the stack's own rules only.
 */
export class EventDeadLetters extends pulumi.ComponentResource {
  readonly queue: aws.sqs.Queue;
  private readonly name: string;

  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:events:EventDeadLetters', name, {}, opts);
    this.name = name;
    this.queue = new aws.sqs.Queue(
      name,
      { messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true },
      { parent: this },
    );
    this.registerOutputs({ queueUrl: this.queue.url });
  }

  /** The target settings every rule target of the stack uses. */
  get targetSettings() {
    return { deadLetterConfig: { arn: this.queue.arn }, retryPolicy: { ...EVENT_TARGET_RETRY } };
  }

  /**
   * For a function EventBridge invokes asynchronously: Lambda sends an event that still fails after
   * its own two retries here (with the function's role, which this statement lets do so).
   */
  get functionDeadLetters(): { config: { targetArn: pulumi.Output<string> }; statement: Statement } {
    return {
      config: { targetArn: this.queue.arn },
      statement: { Sid: 'AsyncDeadLetters', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: this.queue.arn },
    };
  }

  /** Lets EventBridge send the undeliverable events of these rules. */
  admit(ruleArns: pulumi.Input<string>[]): void {
    new aws.sqs.QueuePolicy(
      `${this.name}-policy`,
      {
        queueUrl: this.queue.url,
        policy: policyDocument([
          {
            Sid: 'EventBridgeDeadLetters',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: this.queue.arn,
            Condition: pulumi.all(ruleArns).apply((arns) => ({ ArnEquals: { 'aws:SourceArn': arns } })),
          },
        ]),
      },
      { parent: this },
    );
  }
}
