import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { ListSubscriptionsByTopicCommand, SNSClient, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
// @ts-expect-error: plain ESM shipped as the Lambda's code as is (no bundling, the SDK comes with the runtime)
import { createJanitor } from '../../infra/notify-janitor/index.mjs';

const PREFIX = 'delta-augment-prod-notify-';
const ARN_PREFIX = `arn:aws:sqs:eu-west-1:123456789012:${PREFIX}`;
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:job-events-notifications';
const GROUP = 'gateway-asg';
const env = { NOTIFY_QUEUE_PREFIX: PREFIX, NOTIFY_QUEUE_ARN_PREFIX: ARN_PREFIX, TOPIC_ARN: TOPIC, GROUP_NAME: GROUP };
const queueUrl = (id: string) => `https://sqs.eu-west-1.amazonaws.com/123456789012/${PREFIX}${id}`;
const subscription = (id: string) => ({
  SubscriptionArn: `${TOPIC}:sub-${id}`,
  Protocol: 'sqs',
  Endpoint: `${ARN_PREFIX}${id}`,
  TopicArn: TOPIC,
});

describe('the notification-queue janitor', () => {
  const sqs = mockClient(SQSClient);
  const sns = mockClient(SNSClient);
  const autoscaling = mockClient(AutoScalingClient);
  let janitor: {
    handle(event: unknown): Promise<{ unsubscribed: number; deleted: number; orphans?: string[] }>;
  };
  beforeEach(() => {
    sqs.reset();
    sns.reset();
    autoscaling.reset();
    janitor = createJanitor({
      sqs: new SQSClient({ region: 'eu-west-1' }),
      sns: new SNSClient({ region: 'eu-west-1' }),
      autoscaling: new AutoScalingClient({ region: 'eu-west-1' }),
      env,
      log: () => {},
    });
  });

  describe('when the group terminates an instance', () => {
    it("deletes that instance's queue and subscription only, then lets the termination continue", async () => {
      // Prepare
      sns.on(ListSubscriptionsByTopicCommand).resolves({
        Subscriptions: [subscription('i-gone'), subscription('i-live'), { ...subscription('x'), Protocol: 'email' }],
      });
      sqs.on(GetQueueUrlCommand, { QueueName: `${PREFIX}i-gone` }).resolves({ QueueUrl: queueUrl('i-gone') });
      // Act
      const result = await janitor.handle({
        source: 'aws.autoscaling',
        'detail-type': 'EC2 Instance-terminate Lifecycle Action',
        detail: {
          AutoScalingGroupName: GROUP,
          EC2InstanceId: 'i-gone',
          LifecycleHookName: 'drain-notify-queue',
          LifecycleActionToken: 'token-1',
        },
      });
      // Assess
      assert.deepEqual(result, { instanceId: 'i-gone', unsubscribed: 1, deleted: 1 });
      assert.deepEqual(
        sns.commandCalls(UnsubscribeCommand).map((c) => c.args[0].input.SubscriptionArn),
        [`${TOPIC}:sub-i-gone`],
      );
      assert.deepEqual(
        sqs.commandCalls(DeleteQueueCommand).map((c) => c.args[0].input.QueueUrl),
        [queueUrl('i-gone')],
      );
      const [complete] = autoscaling.commandCalls(CompleteLifecycleActionCommand);
      assert.deepEqual(complete?.args[0].input, {
        AutoScalingGroupName: GROUP,
        LifecycleHookName: 'drain-notify-queue',
        LifecycleActionToken: 'token-1',
        InstanceId: 'i-gone',
        LifecycleActionResult: 'CONTINUE',
      });
    });
  });

  describe('when the scheduled sweep runs', () => {
    it('removes the queues and subscriptions of instances no longer in the group, and keeps the live ones', async () => {
      // Prepare: i-live runs, i-stopping is terminating, i-crashed left a queue, i-old left a subscription
      autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
        AutoScalingGroups: [
          {
            AutoScalingGroupName: GROUP,
            Instances: [
              { InstanceId: 'i-live', LifecycleState: 'InService' },
              { InstanceId: 'i-stopping', LifecycleState: 'Terminating:Wait' },
            ],
          } as never,
        ],
      });
      sqs
        .on(ListQueuesCommand)
        .resolves({ QueueUrls: [queueUrl('i-live'), queueUrl('i-crashed'), queueUrl('i-stopping')] });
      sns.on(ListSubscriptionsByTopicCommand).resolves({
        Subscriptions: [subscription('i-live'), subscription('i-old'), subscription('i-stopping')],
      });
      // Act
      const result = await janitor.handle({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
      // Assess
      assert.deepEqual([...(result.orphans ?? [])].sort(), ['i-crashed', 'i-old', 'i-stopping']);
      assert.deepEqual(
        sqs
          .commandCalls(DeleteQueueCommand)
          .map((c) => c.args[0].input.QueueUrl)
          .sort(),
        [queueUrl('i-crashed'), queueUrl('i-stopping')],
      );
      assert.deepEqual(
        sns
          .commandCalls(UnsubscribeCommand)
          .map((c) => c.args[0].input.SubscriptionArn)
          .sort(),
        [`${TOPIC}:sub-i-old`, `${TOPIC}:sub-i-stopping`],
      );
    });

    it('deletes nothing when it cannot see the group', async () => {
      autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
      sqs.on(ListQueuesCommand).resolves({ QueueUrls: [queueUrl('i-live')] });
      await assert.rejects(janitor.handle({ 'detail-type': 'Scheduled Event' }), /refusing to sweep/);
      assert.equal(sqs.commandCalls(DeleteQueueCommand).length, 0);
    });
  });
});
