/**
 * The stack's guardrails as Pulumi CrossGuard policies: the strongest assertions of the infra unit
 * tests, enforced on every `pulumi preview` / `pulumi up --policy-pack infra/policy-pack` and run in CI
 * against the mocked stack (tests/infra/policy-pack.unit.test.ts). Each is a stack validation that
 * reads resources by type and properties only, so the same code judges a real preview and the mocks.
 * A property that is still unknown at preview makes CrossGuard report the policy as advisory for that
 * preview; `pulumi up` checks it again with every value known.
 */
import type { PolicyResource, ReportViolation, StackValidationPolicy } from '@pulumi/policy';
import { LAMBDA_RUNTIME } from '../runtime.js';

/** Node.js runtimes Lambda supports for new functions and updates (nodejs20.x is deprecated from April 2026). */
export const SUPPORTED_LAMBDA_RUNTIMES: readonly string[] = ['nodejs22.x', 'nodejs24.x'];
if (!SUPPORTED_LAMBDA_RUNTIMES.includes(LAMBDA_RUNTIME)) {
  throw new Error(`infra/runtime.ts deploys ${LAMBDA_RUNTIME}, which the policy pack does not list as supported`);
}

const T = {
  fn: 'aws:lambda/function:Function',
  mapping: 'aws:lambda/eventSourceMapping:EventSourceMapping',
  table: 'aws:dynamodb/table:Table',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  listener: 'aws:lb/listener:Listener',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  ingressRule: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  sgRule: 'aws:ec2/securityGroupRule:SecurityGroupRule',
  distribution: 'aws:cloudfront/distribution:Distribution',
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  bucketAcl: 'aws:s3/bucketAclV2:BucketAclV2',
  queue: 'aws:sqs/queue:Queue',
  notification: 'aws:s3/bucketNotification:BucketNotification',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
} as const;

const ofType = (resources: readonly PolicyResource[], type: string) => resources.filter((r) => r.type === type);
const WORLD = ['0.0.0.0/0', '::/0'];

const policy = (
  name: string,
  description: string,
  validate: (resources: readonly PolicyResource[], report: ReportViolation) => void,
): StackValidationPolicy => ({
  name,
  description,
  enforcementLevel: 'mandatory',
  validateStack: (args, report) => validate(args.resources, report),
});

export const supportedRuntime = policy(
  'supported-lambda-runtime',
  `Every Lambda function runs a supported Node.js runtime (${SUPPORTED_LAMBDA_RUNTIMES.join(', ')}).`,
  (resources, report) => {
    for (const fn of ofType(resources, T.fn)) {
      if (!SUPPORTED_LAMBDA_RUNTIMES.includes(fn.props.runtime)) {
        report(`${fn.name} runs ${fn.props.runtime ?? 'no runtime'}, not a supported one`, fn.urn);
      }
    }
  },
);

export const noAllProjection = policy(
  'no-all-projection-on-large-items',
  'No DynamoDB secondary index projects ALL: the table holds event and source items, and an index copies what it projects.',
  (resources, report) => {
    for (const table of ofType(resources, T.table)) {
      for (const index of [
        ...(table.props.globalSecondaryIndexes ?? []),
        ...(table.props.localSecondaryIndexes ?? []),
      ]) {
        if (index.projectionType === 'ALL') {
          report(
            `${table.name}: index ${index.name} projects ALL; project KEYS_ONLY or INCLUDE what queries read`,
            table.urn,
          );
        }
      }
    }
  },
);

export const alarmsHaveActions = policy(
  'every-alarm-has-an-action',
  'Every CloudWatch alarm is enabled and notifies someone on alarm and on recovery.',
  (resources, report) => {
    for (const alarm of ofType(resources, T.alarm)) {
      if (alarm.props.actionsEnabled === false) report(`${alarm.name} has its actions disabled`, alarm.urn);
      if (!(alarm.props.alarmActions?.length > 0)) report(`${alarm.name} has no alarm action`, alarm.urn);
      if (!(alarm.props.okActions?.length > 0)) report(`${alarm.name} has no OK action`, alarm.urn);
    }
  },
);

export const albAdmitsOnlyCloudFront = policy(
  'alb-admits-only-cloudfront',
  'The load balancer is internal (reached through a CloudFront VPC origin), nothing admits traffic from the ' +
    'internet, every listener refuses what no rule admits (the secret origin header), and CloudFront reaches ' +
    'custom origins over HTTPS only.',
  (resources, report) => {
    for (const alb of ofType(resources, T.alb)) {
      if (alb.props.internal !== true)
        report(`${alb.name} is internet-facing; CloudFront must be the only way in`, alb.urn);
    }
    for (const group of ofType(resources, T.securityGroup)) {
      for (const rule of group.props.ingress ?? []) {
        const open = [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])].filter((c: string) =>
          WORLD.includes(c),
        );
        if (open.length > 0) report(`${group.name} admits ${open.join(', ')} on port ${rule.fromPort}`, group.urn);
      }
    }
    for (const rule of [...ofType(resources, T.ingressRule), ...ofType(resources, T.sgRule)]) {
      if (rule.type === T.sgRule && rule.props.type !== 'ingress') continue;
      const cidrs = [rule.props.cidrIpv4, rule.props.cidrIpv6, ...(rule.props.cidrBlocks ?? [])];
      if (cidrs.some((c) => WORLD.includes(c))) report(`${rule.name} admits the whole internet`, rule.urn);
    }
    for (const listener of ofType(resources, T.listener)) {
      const [action] = listener.props.defaultActions ?? [];
      if (action?.type !== 'fixed-response' || action.fixedResponse?.statusCode !== '403') {
        report(
          `${listener.name} forwards requests by default; it must answer 403 unless the origin header matches`,
          listener.urn,
        );
      }
    }
    for (const distribution of ofType(resources, T.distribution)) {
      for (const origin of distribution.props.origins ?? []) {
        const policy = origin.customOriginConfig?.originProtocolPolicy;
        if (policy !== undefined && policy !== 'https-only') {
          report(`${distribution.name}: origin ${origin.originId} is reached over ${policy}`, distribution.urn);
        }
      }
    }
  },
);

export const noPublicBuckets = policy(
  'no-public-buckets',
  'Every bucket blocks public ACLs and policies, and none grants a public ACL.',
  (resources, report) => {
    const blocks = ofType(resources, T.publicAccessBlock);
    for (const bucket of ofType(resources, T.bucket)) {
      const block = blocks.find((b) => b.props.bucket === bucket.props.bucket);
      const p = block?.props ?? {};
      if (!(p.blockPublicAcls && p.blockPublicPolicy && p.ignorePublicAcls && p.restrictPublicBuckets)) {
        report(`${bucket.name} does not block every kind of public access`, bucket.urn);
      }
      if (typeof bucket.props.acl === 'string' && bucket.props.acl.startsWith('public')) {
        report(`${bucket.name} has the ACL ${bucket.props.acl}`, bucket.urn);
      }
    }
    for (const acl of ofType(resources, T.bucketAcl)) {
      if (String(acl.props.acl ?? '').startsWith('public')) report(`${acl.name} grants ${acl.props.acl}`, acl.urn);
    }
  },
);

export const dlqOnEveryAsyncTarget = policy(
  'dlq-on-every-async-target',
  'Every asynchronous hand-off has somewhere for failures to go: queues that feed a function or receive ' +
    'bucket notifications redrive to a DLQ, EventBridge targets retry and dead-letter, and functions ' +
    'invoked asynchronously by EventBridge have a dead-letter queue of their own.',
  (resources, report) => {
    const queues = ofType(resources, T.queue);
    const fed = [
      ...ofType(resources, T.mapping).map((m) => m.props.eventSourceArn as string),
      ...ofType(resources, T.notification).flatMap((n) =>
        (n.props.queues ?? []).map((q: { queueArn: string }) => q.queueArn),
      ),
    ];
    for (const arn of new Set(fed)) {
      const queue = queues.find((q) => q.props.arn === arn);
      if (!queue) continue; // not an SQS queue of this stack (a stream, another stack's queue)
      const redrive = queue.props.redrivePolicy ? JSON.parse(queue.props.redrivePolicy) : undefined;
      if (!redrive?.deadLetterTargetArn || !(Number(redrive.maxReceiveCount) > 0)) {
        report(`${queue.name} feeds a consumer but has no redrive policy to a dead-letter queue`, queue.urn);
      }
    }
    const functions = ofType(resources, T.fn);
    for (const target of ofType(resources, T.target)) {
      if (!target.props.deadLetterConfig?.arn) report(`${target.name} has no dead-letter queue`, target.urn);
      if (!(target.props.retryPolicy?.maximumRetryAttempts > 0))
        report(`${target.name} has no retry policy`, target.urn);
      const fn = functions.find((f) => f.props.arn === target.props.arn);
      if (fn && !fn.props.deadLetterConfig?.targetArn) {
        report(`${fn.name} is invoked asynchronously (${target.name}) but has no dead-letter queue`, fn.urn);
      }
    }
  },
);

/** Every policy of the pack. */
export const guardrailPolicies: StackValidationPolicy[] = [
  supportedRuntime,
  noAllProjection,
  alarmsHaveActions,
  albAdmitsOnlyCloudFront,
  noPublicBuckets,
  dlqOnEveryAsyncTarget,
];
