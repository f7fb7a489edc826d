import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '@delta-augment/notifier';
// The adapter's own description of the table it expects (not re-exported by @delta-augment/ports/aws).
import { loadConfig } from '../../packages/ports/src/config.js';
import { DYNAMO_TABLE_SCHEMA, OWNER_INDEX_ATTRIBUTES } from '../../packages/ports/src/job-event-store/aws.js';
import {
  asList,
  type DeclaredResource,
  STUB_ARTIFACT,
  type Synthesized,
  statementsOf,
  synthesize,
} from './mock-stack.js';

const T = {
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  encryption: 'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
  lifecycle: 'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
  cors: 'aws:s3/bucketCorsConfiguration:BucketCorsConfiguration',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
  notification: 'aws:s3/bucketNotification:BucketNotification',
  queue: 'aws:sqs/queue:Queue',
  queuePolicy: 'aws:sqs/queuePolicy:QueuePolicy',
  redriveAllow: 'aws:sqs/redriveAllowPolicy:RedriveAllowPolicy',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  topicPolicy: 'aws:sns/topicPolicy:TopicPolicy',
  rule: 'aws:cloudwatch/eventRule:EventRule',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
  table: 'aws:dynamodb/table:Table',
  function: 'aws:lambda/function:Function',
  permission: 'aws:lambda/permission:Permission',
  mapping: 'aws:lambda/eventSourceMapping:EventSourceMapping',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  subnet: 'aws:ec2/subnet:Subnet',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  launchTemplate: 'aws:ec2/launchTemplate:LaunchTemplate',
  group: 'aws:autoscaling/group:Group',
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  targetGroup: 'aws:lb/targetGroup:TargetGroup',
  distribution: 'aws:cloudfront/distribution:Distribution',
  parameter: 'aws:ssm/parameter:Parameter',
} as const;

const bucketNamed = (stack: Synthesized, name: string): DeclaredResource => stack.named(T.bucket, `storage-${name}`);
const forBucket = (stack: Synthesized, type: string, bucket: DeclaredResource): DeclaredResource[] =>
  stack.ofType(type).filter((r) => r.inputs.bucket === bucket.state.bucket);
const uploadQueue = (stack: Synthesized) => stack.named(T.queue, 'uploads');
const deadLetterQueue = (stack: Synthesized) => stack.named(T.queue, 'uploads-dlq');
const userDataOf = (stack: Synthesized): string =>
  Buffer.from(stack.named(T.launchTemplate, 'gateway-template').inputs.userData as string, 'base64').toString('utf8');

/** Every IAM statement of the stack: role policies and resource policies. */
const allStatements = (stack: Synthesized) =>
  [T.rolePolicy, T.queuePolicy, T.topicPolicy, T.bucketPolicy].flatMap((type) =>
    stack.ofType(type).flatMap((r) => statementsOf(r.inputs.policy).map((statement) => ({ owner: r.name, statement }))),
  );

const sourceArnOf = (condition: Record<string, Record<string, string | string[]>> | undefined): string | undefined => {
  for (const values of Object.values(condition ?? {})) {
    for (const [key, value] of Object.entries(values)) {
      if (key.toLowerCase() === 'aws:sourcearn') return asList(value)[0];
    }
  }
  return undefined;
};

describe('the AWS stack with default settings', () => {
  let stack: Synthesized;
  before(async () => {
    stack = await synthesize();
  });

  describe('storage', () => {
    it('declares the sources, results and assets buckets', () => {
      // Assess
      assert.deepEqual(
        stack
          .ofType(T.bucket)
          .map((b) => b.name)
          .sort(),
        ['storage-artifacts', 'storage-assets', 'storage-results', 'storage-sources'],
      );
    });

    it('makes no bucket public: every bucket blocks public ACLs and policies', () => {
      for (const bucket of stack.ofType(T.bucket)) {
        const blocks = forBucket(stack, T.publicAccessBlock, bucket);
        assert.equal(blocks.length, 1, `${bucket.name} has one public access block`);
        const { blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets } = blocks[0]?.inputs ?? {};
        assert.deepEqual(
          { blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets },
          { blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
          bucket.name,
        );
        assert.equal(bucket.inputs.acl, undefined, `${bucket.name} sets no ACL`);
      }
    });

    it('encrypts every bucket at rest', () => {
      for (const bucket of stack.ofType(T.bucket)) {
        const [encryption] = forBucket(stack, T.encryption, bucket);
        assert.equal(
          encryption?.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm,
          'AES256',
          bucket.name,
        );
      }
    });

    it('refuses plain HTTP on every bucket', () => {
      for (const bucket of stack.ofType(T.bucket)) {
        const [policy] = forBucket(stack, T.bucketPolicy, bucket);
        assert.ok(policy, `${bucket.name} has a policy`);
        const deny = statementsOf(policy.inputs.policy).find((s) => s.Effect === 'Deny');
        assert.deepEqual(deny?.Condition, { Bool: { 'aws:SecureTransport': 'false' } }, bucket.name);
      }
    });

    it('expires sources and results after 27 days, and keeps the web assets', () => {
      for (const [name, prefix] of [
        ['sources', 'sources/'],
        ['results', 'results/'],
      ]) {
        const [lifecycle] = forBucket(stack, T.lifecycle, bucketNamed(stack, name as string));
        const rule = lifecycle?.inputs.rules[0];
        assert.equal(rule?.status, 'Enabled', name);
        assert.equal(rule?.expiration.days, 27, name);
        assert.equal(rule?.filter.prefix, prefix, name);
      }
      assert.equal(forBucket(stack, T.lifecycle, bucketNamed(stack, 'assets')).length, 0);
    });

    it('lets browsers PUT sources with signed URLs (CORS)', () => {
      const [cors] = forBucket(stack, T.cors, bucketNamed(stack, 'sources'));
      assert.deepEqual(cors?.inputs.corsRules[0].allowedMethods, ['PUT']);
    });
  });

  describe('upload queue', () => {
    it('receives ObjectCreated events of keys under sources/ from the sources bucket', () => {
      // Prepare
      const sources = bucketNamed(stack, 'sources');
      // Act
      const [notification] = forBucket(stack, T.notification, sources);
      // Assess
      assert.deepEqual(notification?.inputs.queues, [
        {
          queueArn: uploadQueue(stack).state.arn,
          events: ['s3:ObjectCreated:*'],
          filterPrefix: 'sources/',
        },
      ]);
    });

    it('admits messages only from the sources bucket of this account (aws:SourceArn)', () => {
      const [policy] = stack.ofType(T.queuePolicy);
      const [statement, ...others] = statementsOf(policy?.inputs.policy);
      assert.equal(others.length, 0);
      assert.deepEqual(statement?.Principal, { Service: 's3.amazonaws.com' });
      assert.equal(statement?.Action, 'sqs:SendMessage');
      assert.equal(statement?.Resource, uploadQueue(stack).state.arn);
      assert.deepEqual(statement?.Condition, {
        ArnEquals: { 'aws:SourceArn': bucketNamed(stack, 'sources').state.arn },
        StringEquals: { 'aws:SourceAccount': '123456789012' },
      });
    });

    it('redrives a message to the dead-letter queue after 5 receives', () => {
      const redrive = JSON.parse(uploadQueue(stack).inputs.redrivePolicy);
      assert.deepEqual(redrive, { deadLetterTargetArn: deadLetterQueue(stack).state.arn, maxReceiveCount: 5 });
    });

    it('keeps messages invisible for at least 6x the Lambda timeout', () => {
      const timeout = stack.named(T.function, 'augmenter').inputs.timeout as number;
      assert.ok(uploadQueue(stack).inputs.visibilityTimeoutSeconds >= 6 * timeout);
    });

    it('lets dead letters be redriven to the upload queue only', () => {
      const [allow] = stack.ofType(T.redriveAllow);
      assert.equal(allow?.inputs.queueUrl, deadLetterQueue(stack).state.url);
      assert.deepEqual(JSON.parse(allow?.inputs.redriveAllowPolicy), {
        redrivePermission: 'byQueue',
        sourceQueueArns: [uploadQueue(stack).state.arn],
      });
    });

    it('raises an alarm as soon as the dead-letter queue holds a message', () => {
      const [alarm] = stack.ofType(T.alarm);
      assert.equal(alarm?.inputs.namespace, 'AWS/SQS');
      assert.equal(alarm?.inputs.metricName, 'ApproximateNumberOfMessagesVisible');
      assert.deepEqual(alarm?.inputs.dimensions, { QueueName: deadLetterQueue(stack).state.name });
      assert.equal(alarm?.inputs.comparisonOperator, 'GreaterThanThreshold');
      assert.equal(alarm?.inputs.threshold, 0);
    });
  });

  describe('augmenter', () => {
    it('consumes the upload queue in batches and reports batch item failures', () => {
      const mapping = stack.named(T.mapping, 'augmenter-queue');
      assert.equal(mapping?.inputs.eventSourceArn, uploadQueue(stack).state.arn);
      assert.deepEqual(mapping?.inputs.functionResponseTypes, ['ReportBatchItemFailures']);
      assert.equal(mapping?.inputs.batchSize, 2);
      assert.equal(mapping?.inputs.maximumBatchingWindowInSeconds, 1);
      assert.deepEqual(mapping?.inputs.scalingConfig, { maximumConcurrency: 20 });
    });

    it('runs the bundled ESM handler on arm64 with memory for 2 records of 40 MP and the default timeout', () => {
      const fn = stack.named(T.function, 'augmenter');
      assert.equal(fn.inputs.handler, 'index.handler');
      assert.deepEqual(fn.inputs.architectures, ['arm64']);
      assert.equal(fn.inputs.memorySize, 1920);
      assert.equal(fn.inputs.timeout, 120);
      const env = fn.inputs.environment.variables as Record<string, string>;
      assert.deepEqual([env.MAX_PIXELS, env.RENDER_CONCURRENCY], ['40000000', '2']);
    });

    it('keeps the default ephemeral storage: nothing writes /tmp', () => {
      assert.equal(stack.named(T.function, 'augmenter').inputs.ephemeralStorage, undefined);
    });

    it("gives every queue-fed function an environment the app's start-up validation accepts", () => {
      const fed = stack
        .ofType(T.function)
        .filter((fn) => stack.ofType(T.mapping).some((m) => m.inputs.functionName === fn.state.arn));
      assert.deepEqual(fed.map((fn) => fn.name).sort(), ['augmenter', 'augmenter-archiver']);
      for (const fn of fed) {
        const env = fn.inputs.environment.variables as Record<string, string>;
        assert.doesNotThrow(() => loadConfig(env), `function ${fn.name}`);
        assert.equal(
          Number(env.VISIBILITY_TIMEOUT_SECONDS),
          queueOfFunction(stack, fn).inputs.visibilityTimeoutSeconds,
          `${fn.name} knows its queue's visibility timeout`,
        );
      }
    });

    it('runs on a Node.js runtime Lambda supports (nodejs22.x, not the retired nodejs20.x)', () => {
      const fn = stack.named(T.function, 'augmenter');
      assert.equal(fn.inputs.runtime, 'nodejs22.x');
    });

    it('configures the app with the AWS adapters and the stack resources', () => {
      const env = stack.named(T.function, 'augmenter').inputs.environment.variables as Record<string, string>;
      assert.equal(env.ADAPTERS, 'aws');
      assert.equal(env.QUEUE_URL, uploadQueue(stack).state.url);
      assert.equal(env.DLQ_URL, deadLetterQueue(stack).state.url);
      assert.equal(env.SOURCE_BUCKET, bucketNamed(stack, 'sources').state.bucket);
      assert.equal(env.RESULT_BUCKET, bucketNamed(stack, 'results').state.bucket);
      assert.equal(env.TABLE_NAME, stack.named(T.table, 'jobs').state.name);
      assert.equal(env.EVENT_BUS_NAME, stack.outputs.eventBusName);
      assert.equal(env.HANDLER_TIMEOUT_SECONDS, '120');
    });
  });

  describe('job table', () => {
    it('stores events under pk/sk with a byOwner index and a TTL on expiresAt, billed per request', () => {
      const table = stack.named(T.table, 'jobs');
      assert.equal(table.inputs.billingMode, 'PAY_PER_REQUEST');
      assert.equal(table.inputs.hashKey, 'pk');
      assert.equal(table.inputs.rangeKey, 'sk');
      assert.deepEqual(
        table.inputs.attributes.map((a: { name: string; type: string }) => `${a.name}:${a.type}`).sort(),
        ['createdAt:S', 'owner:S', 'pk:S', 'sk:S'],
      );
      const [index] = table.inputs.globalSecondaryIndexes;
      assert.equal(index.name, 'byOwner');
      assert.deepEqual(index.keySchemas, [
        { attributeName: 'owner', keyType: 'HASH' },
        { attributeName: 'createdAt', keyType: 'RANGE' },
      ]);
      assert.deepEqual(table.inputs.ttl, { attributeName: 'expiresAt', enabled: true });
    });

    it('has the key schema, index and TTL attribute the DynamoDB JobEventStore adapter uses', () => {
      // Prepare
      const table = stack.named(T.table, 'jobs');
      const [index] = table.inputs.globalSecondaryIndexes;
      const { partitionKey, sortKey, ownerIndex, ttlAttribute } = DYNAMO_TABLE_SCHEMA;
      // Assess
      assert.deepEqual(
        {
          partitionKey: table.inputs.hashKey,
          sortKey: table.inputs.rangeKey,
          ownerIndex: {
            name: index.name,
            partitionKey: index.keySchemas[0].attributeName,
            sortKey: index.keySchemas[1].attributeName,
          },
          ttlAttribute: table.inputs.ttl.attributeName,
        },
        { partitionKey, sortKey, ownerIndex, ttlAttribute },
      );
      // The adapter writes string keys (`JOB#<id>`, `EVT#<seq>`, `STATE`).
      for (const attribute of table.inputs.attributes) assert.equal(attribute.type, 'S', attribute.name);
    });

    it('projects into the byOwner index only the fields the job list reads, not the whole item', () => {
      // Prepare
      const [index] = stack.named(T.table, 'jobs').inputs.globalSecondaryIndexes;
      // Assess: the list query (run against this projection by the dynalite contract) reads these and no more.
      assert.equal(index.projectionType, 'INCLUDE');
      assert.deepEqual([...index.nonKeyAttributes].sort(), [...OWNER_INDEX_ATTRIBUTES].sort());
      assert.ok(!index.nonKeyAttributes.includes(DYNAMO_TABLE_SCHEMA.ttlAttribute));
    });
  });

  describe('job notifications', () => {
    it('routes delta-augment.jobs events from the bus to the notifier fan-out topic', () => {
      const rule = stack.named(T.rule, 'job-events-to-notifiers');
      assert.deepEqual(JSON.parse(rule.inputs.eventPattern), { source: ['delta-augment.jobs'] });
      assert.equal(rule.inputs.eventBusName, stack.outputs.eventBusName);
      const target = stack.named(T.target, 'job-events-to-notifiers');
      assert.equal(target.inputs.arn, stack.named(T.topicPolicy, 'job-events-notifications-policy').inputs.arn);
    });
  });

  describe('triggers and resource policies', () => {
    it('scopes every grant to an AWS service by its source ARN', () => {
      // Prepare: every statement that lets a service act, and every Lambda invoke permission.
      const serviceGrants = allStatements(stack).filter(
        ({ statement }) =>
          statement.Effect === 'Allow' &&
          typeof statement.Principal === 'object' &&
          statement.Principal !== null &&
          'Service' in statement.Principal,
      );
      const permissions = stack.ofType(T.permission);
      const granted = (owner: string) =>
        serviceGrants
          .filter((g) => g.owner === owner)
          .map((g) => (g.statement.Principal as { Service: string }).Service);
      // Assess: the grants this checks are there (S3 → SQS, EventBridge → SNS, CloudFront → S3, EventBridge → the
      // janitor), so that the loops below cannot pass by looking at nothing.
      assert.deepEqual(granted('uploads-policy'), ['s3.amazonaws.com']);
      assert.deepEqual(granted('job-events-notifications-policy'), ['events.amazonaws.com']);
      assert.deepEqual(granted('cdn-assets-policy'), ['cloudfront.amazonaws.com']);
      assert.ok(permissions.length >= 1, 'the janitor is invoked by EventBridge');
      for (const { owner, statement } of serviceGrants) {
        assert.ok(sourceArnOf(statement.Condition), `${owner}: ${JSON.stringify(statement)} has aws:SourceArn`);
      }
      for (const permission of permissions) assert.ok(permission.inputs.sourceArn, `${permission.name} has sourceArn`);
    });

    it('lets the EventBridge rule, and only it, publish to the notification topic', () => {
      const policy = stack.named(T.topicPolicy, 'job-events-notifications-policy');
      const [statement, ...others] = statementsOf(policy.inputs.policy);
      assert.equal(others.length, 0);
      assert.deepEqual(statement?.Principal, { Service: 'events.amazonaws.com' });
      assert.equal(sourceArnOf(statement?.Condition), stack.named(T.rule, 'job-events-to-notifiers').state.arn);
    });
  });

  describe('IAM', () => {
    it('grants no action on every resource (but the describe calls AWS authorises on * only) and no service-wide action', () => {
      const statements = allStatements(stack).filter(({ statement }) => statement.Effect === 'Allow');
      assert.ok(statements.length > 10);
      const describeOnly = ['autoscaling:DescribeAutoScalingGroups'];
      for (const { owner, statement } of statements) {
        const text = `${owner}: ${JSON.stringify(statement)}`;
        const everywhere = asList(statement.Resource).includes('*');
        assert.ok(
          !everywhere || asList(statement.Action).every((a) => describeOnly.includes(a)),
          `${text} names its resources`,
        );
        for (const action of asList(statement.Action)) assert.ok(!/(^|:)\*$/.test(action), `${text} names its actions`);
      }
    });

    it('lets the augmenter read sources/* and write results/* only', () => {
      const policy = stack.named(T.rolePolicy, 'augmenter-policy');
      const s3 = statementsOf(policy.inputs.policy).filter((s) => asList(s.Action).some((a) => a.startsWith('s3:')));
      const objectGrants = s3.flatMap((s) =>
        asList(s.Action)
          .filter((a) => a !== 's3:ListBucket')
          .flatMap((a) => asList(s.Resource).map((r) => `${a} ${r}`)),
      );
      const sources = bucketNamed(stack, 'sources').state.arn;
      const results = bucketNamed(stack, 'results').state.arn;
      assert.deepEqual(objectGrants.sort(), [
        `s3:AbortMultipartUpload ${results}/results/*`,
        `s3:GetObject ${results}/results/*`,
        `s3:GetObject ${sources}/sources/*`,
        `s3:PutObject ${results}/results/*`,
      ]);
    });

    it('lets the augmenter consume the upload queue and only send to the archive queue', () => {
      const policy = stack.named(T.rolePolicy, 'augmenter-policy');
      const sqs = statementsOf(policy.inputs.policy).filter((s) => asList(s.Action).some((a) => a.startsWith('sqs:')));
      const grants = sqs.flatMap((s) => asList(s.Resource).map((r) => `${r} ${asList(s.Action).join(',')}`));
      assert.deepEqual(grants, [
        `${uploadQueue(stack).state.arn} sqs:ReceiveMessage,sqs:DeleteMessage,sqs:ChangeMessageVisibility,sqs:GetQueueAttributes`,
        `${stack.named(T.queue, 'archives').state.arn} sqs:SendMessage`,
      ]);
    });

    it('lets the archiver read and write results/* only, and abort its multipart uploads', () => {
      const policy = stack.named(T.rolePolicy, 'augmenter-archiver-policy');
      const s3 = statementsOf(policy.inputs.policy).filter((s) => asList(s.Action).some((a) => a.startsWith('s3:')));
      const results = bucketNamed(stack, 'results').state.arn;
      const grants = s3.flatMap((s) =>
        asList(s.Action)
          .filter((a) => a !== 's3:ListBucket')
          .flatMap((a) => asList(s.Resource).map((r) => `${a} ${r}`)),
      );
      assert.deepEqual(grants.sort(), [
        `s3:AbortMultipartUpload ${results}/results/*`,
        `s3:GetObject ${results}/results/*`,
        `s3:PutObject ${results}/results/*`,
      ]);
    });

    it('lets both roles list the data buckets, so HeadBucket answers and a missing key is a 404', () => {
      const buckets = [bucketNamed(stack, 'sources').state.arn, bucketNamed(stack, 'results').state.arn];
      for (const name of ['augmenter-policy', 'gateway-policy']) {
        const list = statementsOf(stack.named(T.rolePolicy, name).inputs.policy).find((s) =>
          asList(s.Action).includes('s3:ListBucket'),
        );
        assert.deepEqual(asList(list?.Resource), buckets, name);
        assert.equal(list?.Condition, undefined, name);
      }
    });

    it('lets the gateway instances redrive the dead-letter queue', () => {
      const policy = stack.named(T.rolePolicy, 'gateway-policy');
      const redrive = statementsOf(policy.inputs.policy).find((s) =>
        asList(s.Action).includes('sqs:StartMessageMoveTask'),
      );
      assert.deepEqual(asList(redrive?.Resource), [
        deadLetterQueue(stack).state.arn,
        stack.named(T.queue, 'archives-dlq').state.arn,
      ]);
    });

    it('lets each role be assumed by its own service only', () => {
      const services = stack.ofType(T.role).map((role) => {
        const [statement, ...others] = statementsOf(role.inputs.assumeRolePolicy);
        assert.equal(others.length, 0);
        return `${role.name} ${(statement?.Principal as { Service?: string } | undefined)?.Service}`;
      });
      for (const entry of services) {
        const expected = entry.startsWith('gateway-role') ? 'ec2.amazonaws.com' : 'lambda.amazonaws.com';
        assert.ok(entry.endsWith(` ${expected}`), entry);
      }
    });
  });

  describe('gateway fleet', () => {
    it('spans two availability zones', () => {
      const [group] = stack.ofType(T.group);
      const zones = ((group?.inputs.vpcZoneIdentifiers ?? []) as string[]).map(
        (id) => stack.byIdOrArn(id)?.inputs.availabilityZone as string,
      );
      assert.equal(new Set(zones).size, 2);
      assert.deepEqual(zones, ['eu-west-1a', 'eu-west-1b']);
    });

    it('registers with the load balancer and replaces instances that fail its health check', () => {
      const [group] = stack.ofType(T.group);
      assert.deepEqual(group?.inputs.targetGroupArns, [stack.ofType(T.targetGroup)[0]?.state.arn]);
      assert.equal(group?.inputs.healthCheckType, 'ELB');
      assert.equal(group?.inputs.minSize, 2);
      assert.equal(group?.inputs.maxSize, 6);
    });

    it('checks instance health on the shallow /healthz, so a dependency outage does not replace the fleet', () => {
      const [targetGroup] = stack.ofType(T.targetGroup);
      assert.equal(targetGroup?.inputs.healthCheck.path, '/healthz');
      assert.equal(targetGroup?.inputs.healthCheck.matcher, '200');
    });

    it('closes idle connections at the load balancer before the app does, and after a WebSocket ping', () => {
      // Prepare: the app's own defaults
      const config = loadConfig({ DATA_DIR: '/nonexistent' });
      const [alb] = stack.ofType(T.alb);
      // Assess
      assert.ok(alb?.inputs.idleTimeout < config.keepAliveTimeoutSeconds, 'ALB idle timeout < app keep-alive');
      assert.ok(alb?.inputs.idleTimeout * 1000 > DEFAULT_LIMITS.heartbeatMs, 'ALB idle timeout > WebSocket ping');
      assert.equal(alb?.inputs.subnets.length, 2);
    });

    it('spreads requests without stickiness: the API is stateless', () => {
      const [targetGroup] = stack.ofType(T.targetGroup);
      assert.equal(targetGroup?.inputs.stickiness.enabled, false);
    });

    it('admits the app port on the instances from the load balancer only', () => {
      const lbGroup = stack.named(T.securityGroup, 'gateway-lb-sg');
      const instanceGroup = stack.named(T.securityGroup, 'gateway-sg');
      assert.deepEqual(
        instanceGroup.inputs.ingress.map(
          (rule: { fromPort: number; securityGroups?: string[]; cidrBlocks?: string[] }) => ({
            port: rule.fromPort,
            from: rule.securityGroups,
            cidr: rule.cidrBlocks,
          }),
        ),
        [{ port: 8080, from: [lbGroup.id], cidr: undefined }],
      );
    });

    it('runs Amazon Linux 2023 for arm64 on the default Graviton type', () => {
      const amiLookups = stack.calls
        .filter((c) => c.token === 'aws:ssm/getParameter:getParameter')
        .map((c) => c.inputs.name);
      assert.deepEqual(amiLookups, ['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64']);
      assert.equal(stack.named(T.launchTemplate, 'gateway-template').inputs.instanceType, 't4g.small');
    });

    it('requires IMDSv2 on the instances', () => {
      const template = stack.named(T.launchTemplate, 'gateway-template');
      assert.equal(template.inputs.metadataOptions.httpTokens, 'required');
    });

    it('boots the gateway with the AWS adapters and the stack resources', () => {
      const script = userDataOf(stack);
      for (const line of [
        'ADAPTERS="aws"',
        `QUEUE_URL="${uploadQueue(stack).state.url}"`,
        `DLQ_URL="${deadLetterQueue(stack).state.url}"`,
        `SOURCE_BUCKET="${bucketNamed(stack, 'sources').state.bucket}"`,
        `RESULT_BUCKET="${bucketNamed(stack, 'results').state.bucket}"`,
        `TABLE_NAME="${stack.outputs.tableName}"`,
        `EVENT_BUS_NAME="${stack.outputs.eventBusName}"`,
        'AWS_REGION="eu-west-1"',
        'HOST="0.0.0.0"',
      ]) {
        assert.ok(script.includes(`\n${line}\n`), `user data sets ${line}`);
      }
      assert.match(script, /dnf install -y nodejs22 /);
      assert.ok(
        script.includes(
          `ARTIFACT_URI='s3://${bucketNamed(stack, 'artifacts').state.bucket}/gateway/${STUB_ARTIFACT.commit}.tgz'`,
        ),
      );
      assert.ok(script.includes(`ARTIFACT_SHA256='${STUB_ARTIFACT.gatewaySha256}'`));
    });
  });

  describe('CDN', () => {
    it('reads the assets bucket through Origin Access Control, for this distribution only', () => {
      const distribution = stack.ofType(T.distribution)[0] as DeclaredResource;
      const assets = bucketNamed(stack, 'assets');
      const origin = distribution.inputs.origins.find(
        (o: { domainName: string }) => o.domainName === assets.state.bucketRegionalDomainName,
      );
      assert.ok(origin?.originAccessControlId, 'the assets origin uses OAC');
      const [policy] = forBucket(stack, T.bucketPolicy, assets);
      const grant = statementsOf(policy?.inputs.policy).find((s) => s.Effect === 'Allow');
      assert.deepEqual(grant?.Principal, { Service: 'cloudfront.amazonaws.com' });
      assert.equal(sourceArnOf(grant?.Condition), distribution.state.arn);
    });

    it('serves viewers over HTTPS only', () => {
      const distribution = stack.ofType(T.distribution)[0] as DeclaredResource;
      const behaviours = [distribution.inputs.defaultCacheBehavior, ...distribution.inputs.orderedCacheBehaviors];
      for (const behaviour of behaviours) assert.equal(behaviour.viewerProtocolPolicy, 'redirect-to-https');
    });
  });

  describe('outputs', () => {
    it('exports the site, CDN, queue, bucket, table and bus names', () => {
      assert.match(stack.outputs.cdnUrl ?? '', /^https:\/\/.+\.cloudfront\.net$/);
      assert.equal(stack.outputs.uploadQueueUrl, uploadQueue(stack).state.url);
      assert.equal(stack.outputs.deadLetterQueueUrl, deadLetterQueue(stack).state.url);
      assert.equal(stack.outputs.sourcesBucketName, bucketNamed(stack, 'sources').state.bucket);
      assert.equal(stack.outputs.resultsBucketName, bucketNamed(stack, 'results').state.bucket);
      assert.equal(stack.outputs.assetsBucketName, bucketNamed(stack, 'assets').state.bucket);
      assert.ok(stack.outputs.tableName);
      assert.ok(stack.outputs.eventBusName);
    });
  });
});

describe('the AWS stack with its settings changed', () => {
  let stack: Synthesized;
  const apiKeys = 'k3y-0123456789abcdef:alice';
  before(async () => {
    stack = await synthesize(
      {
        maxReceiveCount: '3',
        lambdaTimeoutSeconds: '300',
        lambdaMemoryMb: '3008',
        maxPixels: '4000000',
        lambdaArchitecture: 'x86_64',
        batchSize: '20',
        batchWindowSeconds: '5',
        maxConcurrency: '50',
        retentionDays: '10',
        instanceType: 'm7i.large',
        minSize: '3',
        maxSize: '9',
      },
      { apiKeys, adminKey: 'admin-0123456789abcdef' },
    );
  });

  it('redrives after the configured maxReceiveCount', () => {
    assert.equal(JSON.parse(uploadQueue(stack).inputs.redrivePolicy).maxReceiveCount, 3);
  });

  it('derives the visibility timeout from the Lambda timeout (6x) plus the batching window', () => {
    assert.equal(stack.named(T.function, 'augmenter').inputs.timeout, 300);
    assert.equal(uploadQueue(stack).inputs.visibilityTimeoutSeconds, 1805);
  });

  it('sizes the Lambda and its event source mapping from config', () => {
    const fn = stack.named(T.function, 'augmenter');
    assert.equal(fn.inputs.memorySize, 3008);
    assert.deepEqual(fn.inputs.architectures, ['x86_64']);
    const [mapping] = stack.ofType(T.mapping);
    assert.equal(mapping?.inputs.batchSize, 20);
    assert.equal(mapping?.inputs.maximumBatchingWindowInSeconds, 5);
    assert.deepEqual(mapping?.inputs.scalingConfig, { maximumConcurrency: 50 });
  });

  it('expires sources and results after the configured retention', () => {
    const days = stack.ofType(T.lifecycle).map((l) => l.inputs.rules[0].expiration.days);
    assert.deepEqual(days, [10, 10]);
  });

  it('sizes the fleet and picks the AMI for the instance type', () => {
    const [group] = stack.ofType(T.group);
    assert.equal(group?.inputs.minSize, 3);
    assert.equal(group?.inputs.maxSize, 9);
    assert.equal(stack.named(T.launchTemplate, 'gateway-template').inputs.instanceType, 'm7i.large');
    const amiLookups = stack.calls
      .filter((c) => c.token === 'aws:ssm/getParameter:getParameter')
      .map((c) => c.inputs.name);
    assert.deepEqual(amiLookups, ['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64']);
  });

  it('keeps secrets in SSM SecureString parameters, never in the user data', () => {
    const parameters = stack.ofType(T.parameter);
    assert.deepEqual(
      parameters.map((p) => p.inputs.type),
      ['SecureString', 'SecureString'],
    );
    const script = userDataOf(stack);
    assert.ok(!script.includes(apiKeys), 'the API keys are not in the user data');
    assert.match(script, /read_secret API_KEYS '\/delta-augment\/test\/API_KEYS'/);
    const read = statementsOf(stack.named(T.rolePolicy, 'gateway-policy').inputs.policy).find((s) =>
      asList(s.Action).includes('ssm:GetParameter'),
    );
    assert.deepEqual(asList(read?.Resource).sort(), parameters.map((p) => p.state.arn).sort());
  });
});

describe('the archiver', () => {
  let stack: Synthesized;
  before(async () => {
    stack = await synthesize();
  });

  it('runs the same bundle as the augmenter, with its own handler, 900 s and more memory', () => {
    const augmenter = stack.named(T.function, 'augmenter');
    const archiver = stack.named(T.function, 'augmenter-archiver');
    assert.equal(archiver.inputs.handler, 'index.archiveHandler');
    assert.equal(archiver.inputs.timeout, 900);
    assert.ok(archiver.inputs.memorySize >= augmenter.inputs.memorySize);
    assert.equal(archiver.inputs.runtime, augmenter.inputs.runtime);
  });

  it('consumes the archive queue one job at a time, and its visibility covers 6x its timeout', () => {
    const mapping = stack.named(T.mapping, 'augmenter-archiver-queue');
    const queue = stack.named(T.queue, 'archives');
    assert.equal(mapping.inputs.eventSourceArn, queue.state.arn);
    assert.equal(mapping.inputs.batchSize, 1);
    assert.deepEqual(mapping.inputs.functionResponseTypes, ['ReportBatchItemFailures']);
    assert.ok(queue.inputs.visibilityTimeoutSeconds >= 6 * 900);
    assert.equal(
      JSON.parse(queue.inputs.redrivePolicy).deadLetterTargetArn,
      stack.named(T.queue, 'archives-dlq').state.arn,
    );
  });

  it("gives up on a job's finalisation at the archive queue's last receive, not the upload queue's", () => {
    const env = stack.named(T.function, 'augmenter-archiver').inputs.environment.variables as Record<string, string>;
    const archives = JSON.parse(stack.named(T.queue, 'archives').inputs.redrivePolicy);
    const uploads = JSON.parse(stack.named(T.queue, 'uploads').inputs.redrivePolicy);
    assert.equal(Number(env.MAX_RECEIVE_COUNT), archives.maxReceiveCount);
    assert.notEqual(
      archives.maxReceiveCount,
      uploads.maxReceiveCount,
      'the two queues differ, so the check means something',
    );
  });

  it('is where the augmenter sends its archive requests', () => {
    const env = stack.named(T.function, 'augmenter').inputs.environment.variables as Record<string, string>;
    assert.equal(env.ARCHIVE_QUEUE_URL, stack.named(T.queue, 'archives').state.url);
  });
});

/** The queue whose event source mapping feeds a function. */
const queueOfFunction = (stack: Synthesized, fn: DeclaredResource): DeclaredResource => {
  const mapping = stack.ofType(T.mapping).find((m) => m.inputs.functionName === fn.state.arn);
  const queue = stack.ofType('aws:sqs/queue:Queue').find((q) => q.state.arn === mapping?.inputs.eventSourceArn);
  assert.ok(queue, `the queue of ${fn.name}`);
  return queue;
};
