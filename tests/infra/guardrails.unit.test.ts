import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { peakVariantsPerSecond, WRITE_UNITS_PER_VARIANT } from '../../infra/capacity.js';
import { GATEWAY_PATHS } from '../../infra/cdn.js';
import { ORIGIN_HEADER } from '../../infra/load-balancer.js';
import { RETENTION_SCHEDULE } from '../../infra/retention-sweeper.js';
import { NOTIFY_OWNER_TAG } from '../../infra/user-data.js';
import { asList, type Synthesized, statementsOf, synthesize } from './mock-stack.js';

const T = {
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  listener: 'aws:lb/listener:Listener',
  listenerRule: 'aws:lb/listenerRule:ListenerRule',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  subnet: 'aws:ec2/subnet:Subnet',
  distribution: 'aws:cloudfront/distribution:Distribution',
  vpcOrigin: 'aws:cloudfront/vpcOrigin:VpcOrigin',
  webAcl: 'aws:wafv2/webAcl:WebAcl',
  headers: 'aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  topic: 'aws:sns/topic:Topic',
  dashboard: 'aws:cloudwatch/dashboard:Dashboard',
  budget: 'aws:budgets/budget:Budget',
  provider: 'pulumi:providers:aws',
  endpoint: 'aws:ec2/vpcEndpoint:VpcEndpoint',
  table: 'aws:dynamodb/table:Table',
  mapping: 'aws:lambda/eventSourceMapping:EventSourceMapping',
  rule: 'aws:cloudwatch/eventRule:EventRule',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
  permission: 'aws:lambda/permission:Permission',
  hook: 'aws:autoscaling/lifecycleHook:LifecycleHook',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  queue: 'aws:sqs/queue:Queue',
  cors: 'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration',
  fn: 'aws:lambda/function:Function',
} as const;

describe('the AWS stack guardrails', () => {
  let stack: Synthesized;
  before(async () => {
    stack = await synthesize({ alarmEmail: 'ops@example.com' });
  });

  describe('the edge', () => {
    it('keeps the load balancer internal, in the private subnets', () => {
      const alb = stack.named(T.alb, 'gateway-lb');
      assert.equal(alb.inputs.internal, true);
      const privateIds = stack
        .ofType(T.subnet)
        .filter((s) => s.name.includes('private'))
        .map((s) => s.id);
      assert.deepEqual([...alb.inputs.subnets].sort(), privateIds.sort());
    });

    it('admits the listener port from the private subnets only (CloudFront VPC origin)', () => {
      const sg = stack.named(T.securityGroup, 'gateway-lb-sg');
      const privateCidrs = stack
        .ofType(T.subnet)
        .filter((s) => s.name.includes('private'))
        .map((s) => s.inputs.cidrBlock);
      for (const rule of sg.inputs.ingress) {
        assert.deepEqual([...rule.cidrBlocks].sort(), privateCidrs.sort());
        assert.ok(!rule.cidrBlocks.includes('0.0.0.0/0'));
      }
    });

    it('answers 403 unless the secret origin header is present', () => {
      const [listener] = stack.ofType(T.listener);
      assert.equal(listener?.inputs.defaultActions[0].fixedResponse.statusCode, '403');
      const [rule] = stack.ofType(T.listenerRule);
      assert.equal(rule?.inputs.conditions[0].httpHeader.httpHeaderName, ORIGIN_HEADER);
      const secret = rule?.inputs.conditions[0].httpHeader.values[0];
      const distribution = stack.ofType(T.distribution)[0];
      const origin = distribution?.inputs.origins.find((o: { vpcOriginConfig?: unknown }) => o.vpcOriginConfig);
      assert.deepEqual(origin.customHeaders, [{ name: ORIGIN_HEADER, value: secret }]);
      assert.ok(String(secret).length >= 32);
    });

    it('reaches the load balancer through a VPC origin', () => {
      const vpcOrigin = stack.ofType(T.vpcOrigin)[0];
      assert.equal(vpcOrigin?.inputs.vpcOriginEndpointConfig.arn, stack.named(T.alb, 'gateway-lb').state.arn);
      const origin = stack
        .ofType(T.distribution)[0]
        ?.inputs.origins.find((o: { vpcOriginConfig?: { vpcOriginId: string } }) => o.vpcOriginConfig);
      assert.equal(origin.vpcOriginConfig.vpcOriginId, vpcOrigin?.id);
    });

    it('puts a WAF with a rate-based rule on the viewer IP in front of the distribution', () => {
      const acl = stack.ofType(T.webAcl)[0];
      assert.equal(acl?.inputs.scope, 'CLOUDFRONT');
      const rate = acl?.inputs.rules.find(
        (r: { statement: { rateBasedStatement?: unknown } }) => r.statement.rateBasedStatement,
      );
      assert.equal(rate.statement.rateBasedStatement.aggregateKeyType, 'IP');
      assert.equal(rate.statement.rateBasedStatement.limit, 2000);
      assert.deepEqual(rate.action, { block: {} });
      assert.equal(stack.ofType(T.distribution)[0]?.inputs.webAclId, acl?.state.arn);
    });

    it('adds security headers to every response, static or API', () => {
      const policy = stack.ofType(T.headers)[0];
      assert.ok(policy?.inputs.securityHeadersConfig.strictTransportSecurity.accessControlMaxAgeSec >= 31_536_000);
      const distribution = stack.named(T.distribution, 'cdn');
      for (const behaviour of [
        distribution.inputs.defaultCacheBehavior,
        ...distribution.inputs.orderedCacheBehaviors,
      ]) {
        assert.equal(behaviour.responseHeadersPolicyId, policy?.id);
      }
    });

    it('keeps /readyz off the CDN', () => {
      assert.ok(!(GATEWAY_PATHS as readonly string[]).includes('/readyz'));
      const paths = stack
        .ofType(T.distribution)[0]
        ?.inputs.orderedCacheBehaviors.map((b: { pathPattern: string }) => b.pathPattern);
      assert.ok(!paths.some((p: string) => p.startsWith('/readyz')));
    });
  });

  describe('the notifier fan-out', () => {
    it('lets an instance create and read notification queues but never delete one', () => {
      const policy = statementsOf(stack.named(T.rolePolicy, 'gateway-policy').inputs.policy);
      const allowed = policy.filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action));
      assert.ok(allowed.includes('sqs:CreateQueue'));
      assert.ok(allowed.includes('sqs:ReceiveMessage'));
      assert.ok(!allowed.includes('sqs:DeleteQueue'));
      assert.ok(!allowed.includes('sns:Unsubscribe'));
    });

    it('lets an instance read only the notification queue tagged with its own role session', () => {
      // Prepare
      const policy = statementsOf(stack.named(T.rolePolicy, 'gateway-policy').inputs.policy);
      const notifyQueues = 'arn:aws:sqs:eu-west-1:123456789012:delta-augment-test-notify-*';
      const ownerTag = `aws:ResourceTag/${NOTIFY_OWNER_TAG}`;
      const CALLER = '$' + '{aws:userid}'; // the IAM policy variable, spelled out
      // Assess: every allowed SQS action on notification queues is scoped to the caller's own tag
      const onNotifyQueues = policy.filter((s) => s.Effect === 'Allow' && asList(s.Resource).includes(notifyQueues));
      const create = onNotifyQueues.find((s) => asList(s.Action).includes('sqs:CreateQueue'));
      assert.deepEqual(create?.Condition, {
        StringEquals: { [`aws:RequestTag/${NOTIFY_OWNER_TAG}`]: CALLER },
        'ForAllValues:StringEquals': { 'aws:TagKeys': [NOTIFY_OWNER_TAG] },
      });
      assert.deepEqual(asList(create?.Action).sort(), ['sqs:CreateQueue', 'sqs:TagQueue']);
      for (const statement of onNotifyQueues.filter((s) => s !== create)) {
        assert.deepEqual(statement.Condition, { StringEquals: { [ownerTag]: CALLER } }, statement.Sid);
      }
      assert.ok(onNotifyQueues.flatMap((s) => asList(s.Action)).includes('sqs:ReceiveMessage'));
      // No other statement reaches a notification queue (the upload queues are named, not wildcarded).
      for (const statement of policy.filter((s) => s.Effect === 'Allow' && !onNotifyQueues.includes(s))) {
        for (const resource of asList(statement.Resource)) {
          assert.ok(!String(resource).includes('-notify-'), `${statement.Sid} reaches ${resource}`);
          assert.notEqual(resource, '*', statement.Sid);
        }
      }
      // And no instance may re-tag a queue another instance owns.
      const deny = policy.find((s) => s.Effect === 'Deny' && asList(s.Action).includes('sqs:TagQueue'));
      assert.deepEqual(deny?.Condition, {
        Null: { [ownerTag]: 'false' },
        StringNotEquals: { [ownerTag]: CALLER },
      });
      assert.deepEqual(asList(deny?.Resource), [notifyQueues]);
    });

    it('lets an instance subscribe only an SQS notification queue of this stack', () => {
      const policy = statementsOf(stack.named(T.rolePolicy, 'gateway-policy').inputs.policy);
      const subscribe = policy.find((s) => asList(s.Action).includes('sns:Subscribe'));
      assert.deepEqual(subscribe?.Condition?.StringEquals, { 'sns:Protocol': 'sqs' });
      assert.match(
        String(subscribe?.Condition?.StringLike?.['sns:Endpoint']),
        /^arn:aws:sqs:eu-west-1:123456789012:delta-augment-test-notify-\*$/,
      );
    });

    it('deletes a queue on termination: lifecycle hook → EventBridge → janitor, plus an hourly sweep', () => {
      const hook = stack.ofType(T.hook)[0];
      assert.equal(hook?.inputs.lifecycleTransition, 'autoscaling:EC2_INSTANCE_TERMINATING');
      const terminating = stack.named(T.rule, 'notify-janitor-terminating');
      assert.deepEqual(JSON.parse(terminating.inputs.eventPattern)['detail-type'], [
        'EC2 Instance-terminate Lifecycle Action',
      ]);
      assert.equal(stack.named(T.rule, 'notify-janitor-sweep').inputs.scheduleExpression, 'rate(1 hour)');
      const janitor = stack.named(T.fn, 'notify-janitor');
      for (const name of ['notify-janitor-terminating', 'notify-janitor-sweep']) {
        assert.equal(stack.named(T.target, name).inputs.arn, janitor.state.arn);
        assert.equal(stack.named(T.permission, name).inputs.sourceArn, stack.named(T.rule, name).state.arn);
      }
    });
  });

  describe('retention', () => {
    it('is swept by one function on a daily schedule, not by each gateway instance', () => {
      // Prepare
      const sweepers = stack.ofType(T.fn).filter((f) => f.inputs.handler === 'index.retentionHandler');
      const rule = stack.named(T.rule, 'retention');
      // Assess
      assert.equal(sweepers.length, 1);
      const [sweeper] = sweepers;
      assert.equal(rule.inputs.scheduleExpression, RETENTION_SCHEDULE);
      const targets = stack.ofType(T.target).filter((t) => t.inputs.rule === rule.state.name);
      assert.deepEqual(
        targets.map((t) => t.inputs.arn),
        [sweeper?.state.arn],
      );
      assert.equal(stack.named(T.permission, 'retention').inputs.sourceArn, rule.state.arn);
      // A run (at most its timeout) ends long before the next one starts: runs never overlap.
      assert.ok((sweeper?.inputs.timeout ?? 0) <= 900);
      assert.equal(sweeper?.inputs.environment.variables.RETENTION_DAYS, '27');
    });

    it('lets the sweeper find and delete expired jobs and nothing more', () => {
      const actions = statementsOf(stack.named(T.rolePolicy, 'retention-policy').inputs.policy).flatMap((s) =>
        asList(s.Action),
      );
      assert.deepEqual(actions.sort(), [
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        's3:DeleteObject',
        's3:ListBucket',
        'sqs:SendMessage',
      ]);
      // The one message it may send: a failed run, to the stack's event dead-letter queue.
      const send = statementsOf(stack.named(T.rolePolicy, 'retention-policy').inputs.policy).find((s) =>
        asList(s.Action).includes('sqs:SendMessage'),
      );
      assert.deepEqual(asList(send?.Resource), [stack.named(T.queue, 'event-dlq').state.arn]);
    });

    it('watches the sweeper like every other function: errors, throttles and duration alarms', () => {
      for (const fn of stack.ofType(T.fn)) {
        const watched = stack
          .ofType(T.alarm)
          .filter((a) => a.inputs.dimensions?.FunctionName === fn.state.name)
          .map((a) => a.inputs.metricName)
          .sort();
        assert.deepEqual(watched, ['Duration', 'Errors', 'Throttles'], fn.name);
      }
    });
  });

  describe('EventBridge targets', () => {
    it('retry and then dead-letter every target', () => {
      const dlq = stack.named(T.queue, 'event-dlq');
      const targets = stack.ofType(T.target);
      assert.ok(targets.length >= 3);
      for (const target of targets) {
        assert.equal(target.inputs.deadLetterConfig?.arn, dlq.state.arn, target.name);
        assert.ok(target.inputs.retryPolicy?.maximumRetryAttempts > 0, target.name);
      }
    });
  });

  describe('alarms', () => {
    it('always creates the alarm topic, and every alarm notifies it on alarm and on recovery', () => {
      const topic = stack.named(T.topic, 'monitoring-alarms');
      const alarms = stack.ofType(T.alarm);
      assert.ok(alarms.length > 0);
      for (const alarm of alarms) {
        assert.deepEqual(alarm.inputs.alarmActions, [topic.state.arn], alarm.name);
        assert.deepEqual(alarm.inputs.okActions, [topic.state.arn], alarm.name);
        assert.ok(alarm.inputs.alarmDescription, alarm.name);
      }
    });

    it('watches every signal: DLQs, oldest messages, Lambda errors, throttles and duration, DynamoDB and index throttles, failed EventBridge deliveries, ALB 5xx', () => {
      const signals = new Set(stack.ofType(T.alarm).map((a) => `${a.inputs.namespace} ${a.inputs.metricName}`));
      for (const signal of [
        'AWS/SQS ApproximateNumberOfMessagesVisible',
        'AWS/SQS ApproximateAgeOfOldestMessage',
        'AWS/Lambda Errors',
        'AWS/Lambda Throttles',
        'AWS/Lambda Duration',
        'AWS/DynamoDB WriteThrottleEvents',
        'AWS/DynamoDB ReadThrottleEvents',
        'AWS/Events FailedInvocations',
        'AWS/ApplicationELB HTTPCode_ELB_5XX_Count',
        'AWS/ApplicationELB HTTPCode_Target_5XX_Count',
      ]) {
        assert.ok(signals.has(signal), signal);
      }
      const indexAlarm = stack.ofType(T.alarm).find((a) => a.inputs.dimensions?.GlobalSecondaryIndexName === 'byOwner');
      assert.ok(indexAlarm, 'the byOwner index has its own throttle alarm');
      const dlqAlarms = stack
        .ofType(T.alarm)
        .filter((a) => a.inputs.metricName === 'ApproximateNumberOfMessagesVisible');
      const dlqs = ['uploads-dlq', 'archives-dlq', 'event-dlq'].map((n) => stack.named(T.queue, n).state.name);
      assert.deepEqual(dlqAlarms.map((a) => a.inputs.dimensions.QueueName).sort(), dlqs.sort());
    });

    it('e-mails the configured address', () => {
      const subscription = stack.ofType('aws:sns/topicSubscription:TopicSubscription')[0];
      assert.equal(subscription?.inputs.endpoint, 'ops@example.com');
    });

    it('has a dashboard and a monthly budget that alerts the topic', () => {
      assert.equal(stack.ofType(T.dashboard).length, 1);
      const budget = stack.ofType(T.budget)[0];
      assert.equal(budget?.inputs.timeUnit, 'MONTHLY');
      for (const n of budget?.inputs.notifications ?? []) {
        assert.deepEqual(n.subscriberSnsTopicArns, [stack.named(T.topic, 'monitoring-alarms').state.arn]);
      }
    });
  });

  describe('cost and capacity', () => {
    it('tags every resource through the providers default tags', () => {
      const providers = stack.ofType(T.provider);
      assert.ok(providers.length >= 2);
      for (const provider of providers) {
        const tags = JSON.parse(provider.inputs.defaultTags).tags;
        assert.deepEqual(Object.keys(tags).sort(), ['Commit', 'ManagedBy', 'Project', 'Stack']);
      }
    });

    it('routes S3 and DynamoDB through free gateway endpoints', () => {
      const services = stack.ofType(T.endpoint).map((e) => `${e.inputs.vpcEndpointType} ${e.inputs.serviceName}`);
      assert.deepEqual(services.sort(), [
        'Gateway com.amazonaws.eu-west-1.dynamodb',
        'Gateway com.amazonaws.eu-west-1.s3',
      ]);
    });

    it('caps the table at a ceiling above the peak the augmenter concurrency can write', () => {
      const table = stack.named(T.table, 'jobs');
      const mapping = stack.named(T.mapping, 'augmenter-queue');
      const env = stack.named(T.fn, 'augmenter').inputs.environment.variables as Record<string, string>;
      const peak =
        peakVariantsPerSecond({
          maxConcurrency: mapping.inputs.scalingConfig.maximumConcurrency,
          batchSize: mapping.inputs.batchSize,
          renderConcurrency: Number(env.RENDER_CONCURRENCY),
        }) * WRITE_UNITS_PER_VARIANT;
      const ceiling = table.inputs.onDemandThroughput.maxWriteRequestUnits;
      assert.ok(ceiling >= peak, `${ceiling} WRU/s >= the ${peak} WRU/s peak`);
      assert.ok(ceiling <= 3 * peak, `${ceiling} WRU/s is a real cap (<= 3x the peak)`);
    });

    it('never allows a wildcard CORS origin, and allows the CDN origin', () => {
      const cors = stack.ofType(T.cors);
      assert.equal(cors.length, 2);
      for (const config of cors) {
        const origins = config.inputs.corsRules.flatMap((r: { allowedOrigins: string[] }) => r.allowedOrigins);
        assert.ok(!origins.some((o: string) => o.includes('*')), config.name);
        assert.ok(origins.includes(stack.outputs.cdnUrl), config.name);
      }
    });

    it('runs every function on a supported Node.js runtime', () => {
      for (const fn of stack.ofType(T.fn)) assert.match(fn.inputs.runtime, /^nodejs(22|24)\.x$/, fn.name);
    });
  });
});
