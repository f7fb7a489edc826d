import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { EventDeadLetters } from './event-dead-letters.js';
import { functionRole, invokeOnRule } from './function-role.js';
import { LAMBDA_RUNTIME } from './runtime.js';

/** The janitor's code: one ESM file, the AWS SDK from the Lambda runtime (no bundling, no npm). */
export const janitorCodeDir = join(dirname(fileURLToPath(import.meta.url)), 'notify-janitor');

/** How often the janitor sweeps for orphaned queues and subscriptions. */
export const SWEEP_SCHEDULE = 'rate(1 hour)';

export interface NotifyQueueJanitorArgs {
  readonly context: { accountId: pulumi.Input<string>; partition: pulumi.Input<string>; region: pulumi.Input<string> };
  readonly group: aws.autoscaling.Group;
  readonly topic: aws.sns.Topic;
  readonly notifyQueuePrefix: string;
  readonly notifyQueueArnPrefix: pulumi.Input<string>;
  readonly deadLetters: EventDeadLetters;
}

/**
 * Deletes the per-instance notification queues (and their SNS subscriptions) of terminated gateway
 * instances, and only those: the auto-scaling group's terminate lifecycle action reaches the function
 * through an EventBridge rule on the default bus, and a schedule sweeps for orphans (instances that
 * died before the hook ran). Each rule's target retries and dead-letters; each invocation grant is
 * scoped to its rule (`sourceArn`). The role may delete only this stack's notification queues,
 * unsubscribe only from the job-events topic and complete only this group's lifecycle actions.
 */
export class NotifyQueueJanitor extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly rules: aws.cloudwatch.EventRule[];

  constructor(name: string, args: NotifyQueueJanitorArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:gateway:NotifyQueueJanitor', name, {}, opts);
    const { accountId, partition, region } = args.context;
    const { logGroup, role, rolePolicy } = functionRole(
      name,
      [
        {
          Sid: 'NotificationQueues',
          Effect: 'Allow',
          Action: ['sqs:DeleteQueue', 'sqs:GetQueueUrl'],
          Resource: pulumi.interpolate`${args.notifyQueueArnPrefix}*`,
        },
        {
          // ListQueues is authorised on the account's queues (filtered by name prefix in the call).
          Sid: 'ListQueues',
          Effect: 'Allow',
          Action: 'sqs:ListQueues',
          Resource: pulumi.interpolate`arn:${partition}:sqs:${region}:${accountId}:*`,
        },
        {
          Sid: 'JobEventSubscriptions',
          Effect: 'Allow',
          Action: ['sns:ListSubscriptionsByTopic', 'sns:Unsubscribe'],
          Resource: [args.topic.arn, pulumi.interpolate`${args.topic.arn}:*`],
        },
        {
          Sid: 'CompleteLifecycleActions',
          Effect: 'Allow',
          Action: 'autoscaling:CompleteLifecycleAction',
          Resource: args.group.arn,
        },
        {
          // DescribeAutoScalingGroups has no resource-level permissions (AWS documents "*" only).
          Sid: 'DescribeGroup',
          Effect: 'Allow',
          Action: 'autoscaling:DescribeAutoScalingGroups',
          Resource: '*',
        },
        args.deadLetters.functionDeadLetters.statement,
      ],
      this,
    );
    this.function = new aws.lambda.Function(
      name,
      {
        description: 'Delta Augment: deletes the notification queues of terminated gateway instances',
        runtime: LAMBDA_RUNTIME,
        architectures: ['arm64'],
        handler: 'index.handler',
        code: new pulumi.asset.AssetArchive({
          'index.mjs': new pulumi.asset.FileAsset(join(janitorCodeDir, 'index.mjs')),
        }),
        role: role.arn,
        memorySize: 256,
        timeout: 60,
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
        deadLetterConfig: args.deadLetters.functionDeadLetters.config,
        environment: {
          variables: {
            NOTIFY_QUEUE_PREFIX: args.notifyQueuePrefix,
            NOTIFY_QUEUE_ARN_PREFIX: args.notifyQueueArnPrefix,
            TOPIC_ARN: args.topic.arn,
            GROUP_NAME: args.group.name,
          },
        },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    const terminating = new aws.cloudwatch.EventRule(
      `${name}-terminating`,
      {
        description: 'Gateway instance terminating: delete its notification queue',
        eventPattern: pulumi.jsonStringify({
          source: ['aws.autoscaling'],
          'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
          detail: { AutoScalingGroupName: [args.group.name] },
        }),
      },
      { parent: this },
    );
    const sweep = new aws.cloudwatch.EventRule(
      `${name}-sweep`,
      { description: 'Sweep orphaned notification queues', scheduleExpression: SWEEP_SCHEDULE },
      { parent: this },
    );
    this.rules = [terminating, sweep];
    invokeOnRule(`${name}-terminating`, terminating, this.function, args.deadLetters, this);
    invokeOnRule(`${name}-sweep`, sweep, this.function, args.deadLetters, this);
    this.registerOutputs({ functionName: this.function.name });
  }
}
