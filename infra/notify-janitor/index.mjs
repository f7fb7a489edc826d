/**
 * The notification-queue janitor (a Lambda, Node's built-in AWS SDK v3). Each gateway instance owns an
 * SQS queue `<prefix><instance id>` subscribed to the job-events topic, created idempotently whenever
 * its service starts, so a reboot keeps it. This function deletes a queue and its subscription only
 * when the instance is terminated:
 * - on the auto-scaling group's terminate lifecycle action (EventBridge), then it completes the action;
 * - on a schedule, for orphans: queues and subscriptions of instances that are no longer in the group
 *   (an instance that died before its lifecycle hook ran, or a failed cleanup).
 * Environment: NOTIFY_QUEUE_PREFIX, NOTIFY_QUEUE_ARN_PREFIX, TOPIC_ARN, GROUP_NAME.
 */
import {
  AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import { ListSubscriptionsByTopicCommand, SNSClient, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { DeleteQueueCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';

const TERMINATE = 'EC2 Instance-terminate Lifecycle Action';

/** @param {{ sqs?: SQSClient, sns?: SNSClient, autoscaling?: AutoScalingClient, env?: Record<string, string | undefined>, log?: (m: string, f?: object) => void }} deps */
export const createJanitor = (deps = {}) => {
  const env = deps.env ?? process.env;
  const sqs = deps.sqs ?? new SQSClient({});
  const sns = deps.sns ?? new SNSClient({});
  const autoscaling = deps.autoscaling ?? new AutoScalingClient({});
  const log = deps.log ?? ((message, fields) => console.log(JSON.stringify({ msg: message, ...fields })));
  const prefix = required(env, 'NOTIFY_QUEUE_PREFIX');
  const arnPrefix = required(env, 'NOTIFY_QUEUE_ARN_PREFIX');
  const topicArn = required(env, 'TOPIC_ARN');
  const groupName = required(env, 'GROUP_NAME');

  const subscriptions = async () => {
    const found = [];
    let NextToken;
    do {
      const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
      for (const s of page.Subscriptions ?? []) {
        if (s.Protocol === 'sqs' && s.Endpoint?.startsWith(arnPrefix) && s.SubscriptionArn?.startsWith(topicArn)) {
          found.push({ arn: s.SubscriptionArn, instanceId: s.Endpoint.slice(arnPrefix.length) });
        }
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return found;
  };

  const queues = async () => {
    const found = [];
    let NextToken;
    do {
      const page = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, NextToken, MaxResults: 1000 }));
      for (const url of page.QueueUrls ?? []) {
        const name = url.slice(url.lastIndexOf('/') + 1);
        if (name.startsWith(prefix)) found.push({ url, instanceId: name.slice(prefix.length) });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return found;
  };

  const queueUrlOf = async (instanceId) => {
    try {
      return (await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}${instanceId}` })))?.QueueUrl;
    } catch {
      return undefined;
    }
  };

  const deleteQueue = async (url) => {
    try {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
      return true;
    } catch (error) {
      if (error?.name === 'QueueDoesNotExist' || error?.name === 'AWS.SimpleQueueService.NonExistentQueue')
        return false;
      throw error;
    }
  };

  /** Unsubscribes and deletes the queues of the given instances; returns what it removed. */
  const remove = async (instanceIds, known) => {
    const ids = new Set(instanceIds);
    const subs = (known?.subscriptions ?? (await subscriptions())).filter((s) => ids.has(s.instanceId));
    for (const s of subs) await sns.send(new UnsubscribeCommand({ SubscriptionArn: s.arn }));
    let deleted = 0;
    for (const id of ids) {
      const url = known?.queues ? known.queues.find((q) => q.instanceId === id)?.url : await queueUrlOf(id);
      if (url && (await deleteQueue(url))) deleted += 1;
    }
    return { unsubscribed: subs.length, deleted };
  };

  const liveInstances = async () => {
    const { AutoScalingGroups = [] } = await autoscaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
    );
    const group = AutoScalingGroups[0];
    if (!group) throw new Error(`auto-scaling group ${groupName} not found: refusing to sweep`);
    return new Set(
      (group.Instances ?? []).filter((i) => !i.LifecycleState?.startsWith('Terminat')).map((i) => i.InstanceId),
    );
  };

  /** Removes queues and subscriptions whose instance is no longer a live member of the group. */
  const sweep = async () => {
    const live = await liveInstances();
    const [qs, subs] = await Promise.all([queues(), subscriptions()]);
    const orphans = [...new Set([...qs, ...subs].map((x) => x.instanceId))].filter((id) => !live.has(id));
    const removed = await remove(orphans, { queues: qs, subscriptions: subs });
    log('notification queues swept', { live: live.size, orphans: orphans.length, ...removed });
    return { orphans, ...removed };
  };

  return {
    sweep,
    remove,
    /** EventBridge event: a terminate lifecycle action of the group, or the scheduled sweep. */
    handle: async (event) => {
      if (event?.['detail-type'] === TERMINATE && event.detail?.AutoScalingGroupName === groupName) {
        const { EC2InstanceId: instanceId, LifecycleHookName, LifecycleActionToken } = event.detail;
        const removed = await remove([instanceId]);
        log('notification queue of a terminating instance removed', { instanceId, ...removed });
        await autoscaling.send(
          new CompleteLifecycleActionCommand({
            AutoScalingGroupName: groupName,
            LifecycleHookName,
            LifecycleActionToken,
            InstanceId: instanceId,
            LifecycleActionResult: 'CONTINUE',
          }),
        );
        return { instanceId, ...removed };
      }
      return sweep();
    },
  };
};

const required = (env, name) => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

let janitor;
export const handler = async (event) => {
  janitor ??= createJanitor();
  return janitor.handle(event);
};
