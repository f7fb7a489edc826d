import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { EventDeadLetters } from './event-dead-letters.js';
import { policyDocument } from './iam.js';

/** The `source` of every job event the app puts on the bus. */
export const JOB_EVENT_SOURCE = 'delta-augment.jobs';

/**
 * Job notifications. Gateway and augmenter PutEvents on the bus; a rule routes `source:
 * delta-augment.jobs` events to an SNS topic, and every gateway instance subscribes its own SQS
 * queue to that topic at boot (see user-data.ts). Fan-out is the point: each notifier holds its own
 * WebSocket clients, so each must see every event; one shared queue (competing consumers) or an
 * API destination to the load balancer (one instance per event) would give each event to a single
 * instance. The topic admits publishes from this rule only (aws:SourceArn). The target retries for an
 * hour and then dead-letters (EventDeadLetters).
 */
export class JobEvents extends pulumi.ComponentResource {
  readonly bus: aws.cloudwatch.EventBus;
  readonly rule: aws.cloudwatch.EventRule;
  readonly topic: aws.sns.Topic;

  constructor(name: string, args: { deadLetters: EventDeadLetters }, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:events:JobEvents', name, {}, opts);
    this.bus = new aws.cloudwatch.EventBus(
      name,
      { name: `${pulumi.getProject()}-${pulumi.getStack()}` },
      { parent: this },
    );
    this.rule = new aws.cloudwatch.EventRule(
      `${name}-to-notifiers`,
      {
        description: 'Job events to the notifier fan-out topic',
        eventBusName: this.bus.name,
        eventPattern: JSON.stringify({ source: [JOB_EVENT_SOURCE] }),
      },
      { parent: this },
    );
    this.topic = new aws.sns.Topic(`${name}-notifications`, {}, { parent: this });
    const topicPolicy = new aws.sns.TopicPolicy(
      `${name}-notifications-policy`,
      {
        arn: this.topic.arn,
        policy: policyDocument([
          {
            Sid: 'JobEventRulePublishes',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: this.topic.arn,
            Condition: { ArnEquals: { 'aws:SourceArn': this.rule.arn } },
          },
        ]),
      },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(
      `${name}-to-notifiers`,
      { rule: this.rule.name, eventBusName: this.bus.name, arn: this.topic.arn, ...args.deadLetters.targetSettings },
      { parent: this, dependsOn: [topicPolicy] },
    );
    this.registerOutputs({ eventBusName: this.bus.name, notificationTopicArn: this.topic.arn });
  }
}
