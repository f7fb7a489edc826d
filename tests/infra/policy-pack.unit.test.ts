import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PolicyResource, PolicyResourceOptions, StackValidationPolicy } from '@pulumi/policy';
import {
  alarmsHaveActions,
  albAdmitsOnlyCloudFront,
  dlqOnEveryAsyncTarget,
  guardrailPolicies,
  noAllProjection,
  noPublicBuckets,
  supportedRuntime,
} from '../../infra/policy-pack/guardrails.js';
import { type DeclaredResource, type Synthesized, synthesize } from './mock-stack.js';

interface Violation {
  readonly policy: string;
  readonly message: string;
  readonly urn: string | undefined;
}

/** A declared resource as CrossGuard hands it to a stack policy (its properties: inputs and outputs). */
const asPolicyResource = (r: DeclaredResource): PolicyResource => ({
  type: r.type,
  name: r.name,
  urn: `urn:pulumi:test::delta-augment::${r.type}::${r.name}`,
  props: JSON.parse(JSON.stringify(r.state)),
  opts: {} as PolicyResourceOptions,
  dependencies: [],
  propertyDependencies: {},
  isType: () => false,
  asType: () => undefined,
});

/** Runs the pack's stack policies as `pulumi preview --policy-pack` would, collecting violations. */
const check = (resources: PolicyResource[], policies: readonly StackValidationPolicy[] = guardrailPolicies) => {
  const violations: Violation[] = [];
  for (const policy of policies) {
    policy.validateStack?.(
      {
        resources,
        stackTags: new Map(),
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string) => {
          throw new Error(`not applicable: ${reason}`);
        },
      },
      (message, urn) => violations.push({ policy: policy.name, message, urn }),
    );
  }
  return violations;
};

const T = {
  fn: 'aws:lambda/function:Function',
  table: 'aws:dynamodb/table:Table',
  alarm: 'aws:cloudwatch/metricAlarm:MetricAlarm',
  alb: 'aws:lb/loadBalancer:LoadBalancer',
  listener: 'aws:lb/listener:Listener',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  distribution: 'aws:cloudfront/distribution:Distribution',
  bucket: 'aws:s3/bucket:Bucket',
  publicAccessBlock: 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
  queue: 'aws:sqs/queue:Queue',
  target: 'aws:cloudwatch/eventTarget:EventTarget',
} as const;

describe('the guardrails policy pack', () => {
  let stack: Synthesized;
  let fresh: () => PolicyResource[];
  const one = (resources: PolicyResource[], type: string, name: string): PolicyResource => {
    const found = resources.find((r) => r.type === type && r.name === name);
    assert.ok(found, `${type} ${name}`);
    return found;
  };
  /** Breaks one guardrail on a fresh copy of the stack and returns what the given policy reports. */
  const breaking = (policy: StackValidationPolicy, mutate: (resources: PolicyResource[]) => void): Violation[] => {
    const resources = fresh();
    mutate(resources);
    return check(resources, [policy]);
  };

  before(async () => {
    stack = await synthesize();
    fresh = () => stack.resources.map(asPolicyResource);
  });

  describe('on the stack as declared', () => {
    it('passes every policy, with the default settings', () => {
      assert.deepEqual(check(fresh()), []);
    });

    it('passes every policy with an alarm e-mail, an HTTPS origin certificate and custom CORS origins', async () => {
      const configured = await synthesize({
        alarmEmail: 'ops@example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc',
        corsOrigins: 'https://app.example.com',
      });
      assert.deepEqual(check(configured.resources.map(asPolicyResource)), []);
    });

    it('holds the six guardrails the deploy relies on', () => {
      assert.deepEqual(
        guardrailPolicies.map((p) => p.name),
        [
          'supported-lambda-runtime',
          'no-all-projection-on-large-items',
          'every-alarm-has-an-action',
          'alb-admits-only-cloudfront',
          'no-public-buckets',
          'dlq-on-every-async-target',
        ],
      );
      for (const p of guardrailPolicies) assert.equal(p.enforcementLevel, 'mandatory', p.name);
    });
  });

  describe('when a guardrail is broken', () => {
    it('refuses a function on a retired Node.js runtime', () => {
      const violations = breaking(supportedRuntime, (r) => {
        one(r, T.fn, 'augmenter').props.runtime = 'nodejs20.x';
      });
      assert.equal(violations.length, 1);
      assert.match(violations[0]?.message ?? '', /augmenter runs nodejs20\.x/);
      assert.equal(violations[0]?.urn, 'urn:pulumi:test::delta-augment::aws:lambda/function:Function::augmenter');
    });

    it('refuses an index that projects ALL', () => {
      const violations = breaking(noAllProjection, (r) => {
        one(r, T.table, 'jobs').props.globalSecondaryIndexes[0].projectionType = 'ALL';
      });
      assert.equal(violations.length, 1);
      assert.match(violations[0]?.message ?? '', /index byOwner projects ALL/);
    });

    it('refuses an alarm without an action, without a recovery action, or with its actions disabled', () => {
      const violations = breaking(alarmsHaveActions, (r) => {
        const [first, second, third] = r.filter((x) => x.type === T.alarm);
        assert.ok(first && second && third);
        first.props.alarmActions = [];
        delete second.props.okActions;
        third.props.actionsEnabled = false;
      });
      assert.deepEqual(
        violations.map((v) => v.message.replace(/^\S+ /, '')),
        ['has no alarm action', 'has no OK action', 'has its actions disabled'],
      );
    });

    it('refuses an internet-facing load balancer', () => {
      const violations = breaking(albAdmitsOnlyCloudFront, (r) => {
        one(r, T.alb, 'gateway-lb').props.internal = false;
      });
      assert.match(violations[0]?.message ?? '', /gateway-lb is internet-facing/);
    });

    it('refuses a security group open to the internet', () => {
      const violations = breaking(albAdmitsOnlyCloudFront, (r) => {
        one(r, T.securityGroup, 'gateway-lb-sg').props.ingress[0].cidrBlocks = ['0.0.0.0/0'];
      });
      assert.match(violations[0]?.message ?? '', /gateway-lb-sg admits 0\.0\.0\.0\/0/);
    });

    it('refuses a listener that forwards requests without the secret origin header', () => {
      const violations = breaking(albAdmitsOnlyCloudFront, (r) => {
        const [listener] = r.filter((x) => x.type === T.listener);
        assert.ok(listener);
        listener.props.defaultActions = [{ type: 'forward', targetGroupArn: 'arn:tg' }];
      });
      assert.match(violations[0]?.message ?? '', /forwards requests by default/);
    });

    it('refuses a CloudFront custom origin reached over plain HTTP', () => {
      const violations = breaking(albAdmitsOnlyCloudFront, (r) => {
        one(r, T.distribution, 'cdn').props.origins.push({
          originId: 'public-alb',
          domainName: 'alb.example.com',
          customOriginConfig: { originProtocolPolicy: 'http-only', httpPort: 80, httpsPort: 443 },
        });
      });
      assert.match(violations[0]?.message ?? '', /origin public-alb is reached over http-only/);
    });

    it('refuses a bucket without a full public access block, or with a public ACL', () => {
      const violations = breaking(noPublicBuckets, (r) => {
        const sources = one(r, T.bucket, 'storage-sources');
        const block = r.find((x) => x.type === T.publicAccessBlock && x.props.bucket === sources.props.bucket);
        assert.ok(block);
        block.props.restrictPublicBuckets = false;
        one(r, T.bucket, 'storage-results').props.acl = 'public-read';
      });
      assert.deepEqual(
        violations.map((v) => v.message),
        ['storage-sources does not block every kind of public access', 'storage-results has the ACL public-read'],
      );
    });

    it('refuses a consumed queue without a redrive policy', () => {
      const violations = breaking(dlqOnEveryAsyncTarget, (r) => {
        delete one(r, T.queue, 'uploads').props.redrivePolicy;
      });
      assert.deepEqual(
        violations.map((v) => v.message),
        ['uploads feeds a consumer but has no redrive policy to a dead-letter queue'],
      );
    });

    it('refuses an EventBridge target without a dead-letter queue or retries', () => {
      const violations = breaking(dlqOnEveryAsyncTarget, (r) => {
        const target = one(r, T.target, 'retention');
        delete target.props.deadLetterConfig;
        target.props.retryPolicy = { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 };
      });
      assert.deepEqual(
        violations.map((v) => v.message),
        ['retention has no dead-letter queue', 'retention has no retry policy'],
      );
    });

    it('refuses a function EventBridge invokes asynchronously without its own dead-letter queue', () => {
      const violations = breaking(dlqOnEveryAsyncTarget, (r) => {
        delete one(r, T.fn, 'notify-janitor').props.deadLetterConfig;
      });
      assert.equal(violations.length, 2, 'the lifecycle rule and the sweep both invoke it');
      assert.match(violations[0]?.message ?? '', /notify-janitor is invoked asynchronously/);
    });
  });
});
