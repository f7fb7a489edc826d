/**
 * Runs the Pulumi program under `pulumi.runtime.setMocks`: no CLI, no AWS, no network. Every
 * resource the program declares is recorded with its (resolved) inputs, so tests read as policies
 * over the declared infrastructure, and the emulated AWS stack (apps/aws-emulated) creates the same
 * queues, buckets, table, rule and topic. A resource's physical name is its logical name.
 */
import * as pulumi from '@pulumi/pulumi';
import type { AppArtifact } from './artifact.js';
import type { StackSecrets } from './settings.js';
import { type RawSettings, resolveSettings } from './settings.js';
import { createStack } from './stack.js';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'eu-west-1';
export const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];

/** A declared resource as the mock saw it. */
export interface DeclaredResource {
  readonly type: string;
  readonly name: string;
  readonly id: string;
  // biome-ignore lint/suspicious/noExplicitAny: resource inputs are untyped JSON from the Pulumi runtime
  readonly inputs: Record<string, any>;
  // biome-ignore lint/suspicious/noExplicitAny: as above
  readonly state: Record<string, any>;
}

export interface Synthesized {
  readonly resources: readonly DeclaredResource[];
  readonly outputs: Readonly<Record<string, string>>;
  /** Provider function calls (token and inputs), e.g. the AMI parameter look-up. */
  // biome-ignore lint/suspicious/noExplicitAny: call inputs are untyped JSON
  readonly calls: readonly { readonly token: string; readonly inputs: Record<string, any> }[];
  /** Resources of one Pulumi type token, e.g. `aws:s3/bucket:Bucket`. */
  ofType(type: string): DeclaredResource[];
  /** The one resource of a type whose logical name is `name`. */
  named(type: string, name: string): DeclaredResource;
  /** The resource with a physical id or ARN. */
  byIdOrArn(value: string): DeclaredResource | undefined;
}

const SERVICES: Record<string, string> = {
  sqs: 'sqs',
  sns: 'sns',
  lambda: 'lambda',
  dynamodb: 'dynamodb',
  cloudwatch: 'events',
  iam: 'iam',
  lb: 'elasticloadbalancing',
  cloudfront: 'cloudfront',
  ssm: 'ssm',
  ec2: 'ec2',
  autoscaling: 'autoscaling',
};

/** Computed outputs a real provider would return, derived from the logical name. */
// biome-ignore lint/suspicious/noExplicitAny: mock state mirrors untyped provider state
const computedState = (type: string, name: string, inputs: Record<string, any>): Record<string, any> => {
  const physical = (inputs.name as string | undefined) ?? name;
  const module = type.split(':')[1]?.split('/')[0] ?? 'unknown';
  const service = type === 'aws:cloudwatch/logGroup:LogGroup' ? 'logs' : (SERVICES[module] ?? module);
  const arn = `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${physical}`;
  switch (type) {
    case 'aws:s3/bucket:Bucket': {
      const bucket = (inputs.bucket as string | undefined) ?? physical;
      return {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketRegionalDomainName: `${bucket}.s3.${REGION}.amazonaws.com`,
      };
    }
    case 'aws:sqs/queue:Queue':
      return { name: physical, arn, url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/${physical}` };
    case 'aws:lb/loadBalancer:LoadBalancer':
      return {
        name: physical,
        arn,
        arnSuffix: `app/${physical}/0123456789abcdef`,
        dnsName: `internal-${physical}.${REGION}.elb.amazonaws.com`,
      };
    case 'aws:ec2/subnet:Subnet':
      return { arn, cidrBlock: inputs.cidrBlock };
    case 'aws:cloudfront/vpcOrigin:VpcOrigin':
      return { arn: `arn:aws:cloudfront::${ACCOUNT_ID}:vpcorigin/vo_${name}` };
    case 'aws:wafv2/webAcl:WebAcl':
      return { name: physical, arn: `arn:aws:wafv2:us-east-1:${ACCOUNT_ID}:global/webacl/${physical}/0123` };
    case 'aws:autoscaling/group:Group':
      return {
        name: physical,
        arn: `arn:aws:autoscaling:${REGION}:${ACCOUNT_ID}:autoScalingGroup:0123:autoScalingGroupName/${physical}`,
      };
    case 'random:index/randomPassword:RandomPassword':
      return { result: 'x'.repeat(Number(inputs.length ?? 16)) };
    case 'aws:cloudfront/distribution:Distribution':
      return { arn: `arn:aws:cloudfront::${ACCOUNT_ID}:distribution/E${name}`, domainName: `d${name}.cloudfront.net` };
    case 'aws:ec2/launchTemplate:LaunchTemplate':
      return { name: physical, arn, latestVersion: 1 };
    case 'aws:ec2/vpc:Vpc':
      return { arn, cidrBlock: inputs.cidrBlock };
    case 'aws:cloudwatch/eventTarget:EventTarget':
      // A target has no ARN of its own: its `arn` input names what it invokes.
      return {};
    default:
      return { name: physical, arn };
  }
};

/** Answers the provider functions the program calls; any other call fails the test. */
// biome-ignore lint/suspicious/noExplicitAny: call results are untyped JSON
const callResult = (token: string, inputs: Record<string, any>): Record<string, any> => {
  switch (token) {
    case 'aws:index/getCallerIdentity:getCallerIdentity':
      return {
        accountId: ACCOUNT_ID,
        arn: `arn:aws:iam::${ACCOUNT_ID}:user/deployer`,
        userId: 'AIDATEST',
        id: ACCOUNT_ID,
      };
    case 'aws:index/getRegion:getRegion':
      return { region: REGION, name: REGION, id: REGION, description: 'Europe (Ireland)', endpoint: '' };
    case 'aws:index/getAvailabilityZones:getAvailabilityZones':
      return {
        names: ZONES,
        zoneIds: ['euw1-az1', 'euw1-az2', 'euw1-az3'],
        groupNames: [REGION],
        id: REGION,
        region: REGION,
      };
    case 'aws:ssm/getParameter:getParameter':
      return { name: inputs.name, value: 'ami-0123456789abcdef0', type: 'String', arn: '', id: inputs.name };
    default:
      throw new Error(`unexpected provider call ${token}`);
  }
};

const resolveOutput = <T>(output: pulumi.Output<T>): Promise<T> =>
  new Promise((resolve) => {
    output.apply((value) => {
      resolve(value);
      return value;
    });
  });

/** A tiny stand-in Lambda package: the tests never bundle (no esbuild run, no npm, no network). */
export const stubLambdaCode = (): pulumi.asset.Archive =>
  new pulumi.asset.AssetArchive({
    'index.mjs': new pulumi.asset.StringAsset('export const handler = async () => ({ batchItemFailures: [] });'),
  });

/** A stand-in built artifact: the tests never build one (no git archive, no npm ci). */
export const STUB_ARTIFACT: AppArtifact = {
  commit: '0123456789abcdef0123456789abcdef01234567',
  gatewayTarball: '/nonexistent/gateway-0123456789abcdef0123456789abcdef01234567.tgz',
  gatewaySha256: 'a'.repeat(64),
  lambdaPackage: '/nonexistent/lambda',
};

/**
 * Declares the stack under mocks with the given config (defaults otherwise) and waits until every
 * resource is registered.
 */
export const synthesize = async (
  config: RawSettings = {},
  secrets: StackSecrets = {},
  stack = 'test',
): Promise<Synthesized> => {
  const resources: DeclaredResource[] = [];
  const calls: Synthesized['calls'][number][] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const id = `${args.name}-id`;
        const state = { ...args.inputs, ...computedState(args.type, args.name, args.inputs) };
        resources.push({ type: args.type, name: args.name, id, inputs: args.inputs, state });
        return { id, state };
      },
      call: (args) => {
        calls.push({ token: args.token, inputs: args.inputs });
        return callResult(args.token, args.inputs);
      },
    },
    'delta-augment',
    stack,
    false,
  );
  const settings = resolveSettings(config);
  const declared = createStack(settings, secrets, { lambdaCode: stubLambdaCode, artifact: STUB_ARTIFACT });
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(declared)) outputs[key] = await resolveOutput(output);
  await pulumi.runtime.disconnect();

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    outputs,
    calls,
    ofType,
    named: (type, name) => {
      const found = ofType(type).filter((r) => r.name === name);
      if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
      return found[0] as DeclaredResource;
    },
    byIdOrArn: (value) => resources.find((r) => r.id === value || r.state.arn === value),
  };
};

/** The statements of a JSON policy document. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export const statementsOf = (policy: unknown): PolicyStatement[] => {
  const document = (typeof policy === 'string' ? JSON.parse(policy) : policy) as { Statement: PolicyStatement[] };
  return document.Statement;
};

export const asList = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
