import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { policyDocument } from './iam.js';

/** Thresholds of the stack's alarms (each alarm's description says what it means and what to do). */
export const ALARM_THRESHOLDS = {
  /** An upload waiting this long means the augmenter is not keeping up (or not running). */
  uploadAgeSeconds: 15 * 60,
  /** An archive request waiting this long means archives are stuck. */
  archiveAgeSeconds: 60 * 60,
  /** Share of a function's timeout that its slowest invocation may use before the alarm fires. */
  durationShareOfTimeout: 0.8,
  /** ALB 5xx responses per 5 minutes. */
  albFiveXxPer5Min: 10,
} as const;

export interface QueueWatch {
  readonly name: string;
  readonly queue: aws.sqs.Queue;
  /** Alarm when the oldest message is older than this (seconds); undefined: a dead-letter queue, alarm on any message. */
  readonly maxAgeSeconds?: number;
  readonly meaning: string;
}

export interface FunctionWatch {
  readonly name: string;
  readonly fn: aws.lambda.Function;
  readonly timeoutSeconds: number;
}

export interface MonitoringArgs {
  readonly context: { accountId: pulumi.Input<string>; partition: pulumi.Input<string>; region: pulumi.Input<string> };
  readonly alarmEmail?: string;
  readonly monthlyBudgetUsd: number;
  readonly queues: readonly QueueWatch[];
  readonly functions: readonly FunctionWatch[];
  readonly table: aws.dynamodb.Table;
  readonly tableIndexes: readonly string[];
  /** EventBridge rules whose targets may fail (bus name, or undefined for the default bus). */
  readonly rules: readonly {
    readonly name: string;
    readonly rule: aws.cloudwatch.EventRule;
    readonly busName?: pulumi.Input<string>;
  }[];
  readonly alb: aws.lb.LoadBalancer;
}

/**
 * Guardrails as code: an alarm topic that always exists (e-mail subscribed when `alarmEmail` is set;
 * any other subscriber can be added), alarms on every signal that means work is stuck, failing or
 * throttled, each with the topic as alarm and OK action; a CloudWatch dashboard of the same signals;
 * and a monthly AWS Budget that alerts the topic at 80 % forecast and 100 % actual spend.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly topic: aws.sns.Topic;
  readonly alarms: aws.cloudwatch.MetricAlarm[] = [];
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly budget: aws.budgets.Budget;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:monitoring:Monitoring', name, {}, opts);
    const { accountId, partition, region } = args.context;
    this.topic = new aws.sns.Topic(`${name}-alarms`, {}, { parent: this });
    new aws.sns.TopicPolicy(
      `${name}-alarms-policy`,
      {
        arn: this.topic.arn,
        policy: policyDocument([
          {
            Sid: 'CloudWatchAlarms',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: this.topic.arn,
            Condition: {
              ArnLike: {
                'aws:SourceArn': pulumi.interpolate`arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`,
              },
            },
          },
          {
            Sid: 'BudgetAlerts',
            Effect: 'Allow',
            Principal: { Service: 'budgets.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: this.topic.arn,
            Condition: {
              StringEquals: { 'aws:SourceAccount': accountId },
              ArnLike: { 'aws:SourceArn': pulumi.interpolate`arn:${partition}:budgets::${accountId}:*` },
            },
          },
        ]),
      },
      { parent: this },
    );
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(
        `${name}-alarms-email`,
        { topic: this.topic.arn, protocol: 'email', endpoint: args.alarmEmail },
        { parent: this },
      );
    }
    const actions = [this.topic.arn];
    const alarm = (
      alarmName: string,
      description: string,
      metric: Pick<
        aws.cloudwatch.MetricAlarmArgs,
        | 'namespace'
        | 'metricName'
        | 'dimensions'
        | 'statistic'
        | 'extendedStatistic'
        | 'period'
        | 'threshold'
        | 'evaluationPeriods'
      >,
    ) => {
      const created = new aws.cloudwatch.MetricAlarm(
        `${name}-${alarmName}`,
        {
          alarmDescription: description,
          comparisonOperator: 'GreaterThanThreshold',
          evaluationPeriods: 1,
          treatMissingData: 'notBreaching',
          alarmActions: actions,
          okActions: actions,
          ...metric,
        },
        { parent: this },
      );
      this.alarms.push(created);
      return created;
    };

    for (const q of args.queues) {
      if (q.maxAgeSeconds === undefined) {
        alarm(`${q.name}-not-empty`, q.meaning, {
          namespace: 'AWS/SQS',
          metricName: 'ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: q.queue.name },
          statistic: 'Maximum',
          period: 60,
          threshold: 0,
        });
      } else {
        alarm(`${q.name}-oldest-age`, q.meaning, {
          namespace: 'AWS/SQS',
          metricName: 'ApproximateAgeOfOldestMessage',
          dimensions: { QueueName: q.queue.name },
          statistic: 'Maximum',
          period: 60,
          evaluationPeriods: 5,
          threshold: q.maxAgeSeconds,
        });
      }
    }
    for (const f of args.functions) {
      const dimensions = { FunctionName: f.fn.name };
      alarm(
        `${f.name}-errors`,
        `${f.name}: invocations failed (crash, timeout or out of memory): read its log group.`,
        {
          namespace: 'AWS/Lambda',
          metricName: 'Errors',
          dimensions,
          statistic: 'Sum',
          period: 300,
          threshold: 0,
        },
      );
      alarm(`${f.name}-throttles`, `${f.name}: invocations throttled: raise its concurrency or the account limit.`, {
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        dimensions,
        statistic: 'Sum',
        period: 300,
        threshold: 0,
      });
      alarm(
        `${f.name}-duration`,
        `${f.name}: the slowest invocations use over ${ALARM_THRESHOLDS.durationShareOfTimeout * 100} % of the ${f.timeoutSeconds} s timeout: records are about to be returned unfinished.`,
        {
          namespace: 'AWS/Lambda',
          metricName: 'Duration',
          dimensions,
          extendedStatistic: 'p99',
          period: 300,
          evaluationPeriods: 2,
          threshold: f.timeoutSeconds * 1000 * ALARM_THRESHOLDS.durationShareOfTimeout,
        },
      );
    }
    for (const kind of ['Read', 'Write'] as const) {
      alarm(
        `table-${kind.toLowerCase()}-throttles`,
        `Job table ${kind.toLowerCase()}s throttled: the table hit its on-demand ceiling or a hot partition.`,
        {
          namespace: 'AWS/DynamoDB',
          metricName: `${kind}ThrottleEvents`,
          dimensions: { TableName: args.table.name },
          statistic: 'Sum',
          period: 300,
          threshold: 0,
        },
      );
    }
    for (const index of args.tableIndexes) {
      alarm(
        `index-${index}-write-throttles`,
        `Index ${index} throttled its writes (which throttles writes to the table).`,
        {
          namespace: 'AWS/DynamoDB',
          metricName: 'WriteThrottleEvents',
          dimensions: { TableName: args.table.name, GlobalSecondaryIndexName: index },
          statistic: 'Sum',
          period: 300,
          threshold: 0,
        },
      );
    }
    for (const r of args.rules) {
      alarm(
        `${r.name}-failed-invocations`,
        `EventBridge could not deliver ${r.name} events to their target (they retry, then go to the events DLQ).`,
        {
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          dimensions: r.busName ? { RuleName: r.rule.name, EventBusName: r.busName } : { RuleName: r.rule.name },
          statistic: 'Sum',
          period: 300,
          threshold: 0,
        },
      );
    }
    for (const [metric, who] of [
      ['HTTPCode_ELB_5XX_Count', 'the load balancer (no healthy target, or a target closed the connection)'],
      ['HTTPCode_Target_5XX_Count', 'the gateway'],
    ] as const) {
      alarm(`alb-${metric === 'HTTPCode_ELB_5XX_Count' ? 'elb' : 'target'}-5xx`, `5xx responses from ${who}.`, {
        namespace: 'AWS/ApplicationELB',
        metricName: metric,
        dimensions: { LoadBalancer: args.alb.arnSuffix },
        statistic: 'Sum',
        period: 300,
        threshold: ALARM_THRESHOLDS.albFiveXxPer5Min,
      });
    }

    this.dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: `${pulumi.getProject()}-${pulumi.getStack()}`,
        dashboardBody: pulumi
          .all([
            region,
            pulumi.all(args.queues.map((q) => q.queue.name)),
            pulumi.all(args.functions.map((f) => f.fn.name)),
            args.table.name,
            args.alb.arnSuffix,
          ])
          .apply(([r, queues, functions, table, alb]) =>
            JSON.stringify({
              widgets: [
                widget(
                  r,
                  'Queue depth',
                  queues.map((q) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', q]),
                ),
                widget(
                  r,
                  'Oldest message (s)',
                  queues.map((q) => ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', q]),
                ),
                widget(
                  r,
                  'Lambda errors and throttles',
                  functions.flatMap((f) => [
                    ['AWS/Lambda', 'Errors', 'FunctionName', f],
                    ['AWS/Lambda', 'Throttles', 'FunctionName', f],
                  ]),
                ),
                widget(
                  r,
                  'Lambda duration p99 (ms)',
                  functions.map((f) => ['AWS/Lambda', 'Duration', 'FunctionName', f, { stat: 'p99' }]),
                ),
                widget(r, 'DynamoDB', [
                  ['AWS/DynamoDB', 'ConsumedWriteCapacityUnits', 'TableName', table],
                  ['AWS/DynamoDB', 'ConsumedReadCapacityUnits', 'TableName', table],
                  ['AWS/DynamoDB', 'WriteThrottleEvents', 'TableName', table],
                  ['AWS/DynamoDB', 'ReadThrottleEvents', 'TableName', table],
                ]),
                widget(r, 'Load balancer', [
                  ['AWS/ApplicationELB', 'RequestCount', 'LoadBalancer', alb],
                  ['AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', 'LoadBalancer', alb],
                  ['AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', 'LoadBalancer', alb],
                ]),
              ],
            }),
          ),
      },
      { parent: this },
    );

    this.budget = new aws.budgets.Budget(
      `${name}-budget`,
      {
        budgetType: 'COST',
        limitAmount: String(args.monthlyBudgetUsd),
        limitUnit: 'USD',
        timeUnit: 'MONTHLY',
        notifications: [
          { notificationType: 'FORECASTED', threshold: 80 },
          { notificationType: 'ACTUAL', threshold: 100 },
        ].map((n) => ({
          ...n,
          comparisonOperator: 'GREATER_THAN',
          thresholdType: 'PERCENTAGE',
          subscriberSnsTopicArns: [this.topic.arn],
        })),
      },
      { parent: this },
    );
    this.registerOutputs({ alarmTopicArn: this.topic.arn });
  }
}

const widget = (region: string, title: string, metrics: unknown[]) => ({
  type: 'metric',
  width: 12,
  height: 6,
  properties: { title, region, metrics, stat: 'Sum', period: 300, view: 'timeSeries' },
});
