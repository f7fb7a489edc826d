import { gunzipSync } from 'node:zlib';
import type { RawSettings } from '../../../infra/settings.js';
import { type DeclaredResource, REGION, type Synthesized, synthesize } from '../../../infra/synthesize.js';

/** The Pulumi stack name the emulated run declares (its event bus is `delta-augment-emulated`). */
export const EMULATED_STACK = 'emulated';

export interface QueueModel {
  readonly name: string;
  /** SQS attributes, as CreateQueue takes them (RedrivePolicy names the DLQ by name, see `deadLetterQueue`). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly deadLetterQueue?: string;
  readonly maxReceiveCount?: number;
}

export interface NotificationModel {
  readonly bucket: string;
  readonly queue: string;
  readonly events: readonly string[];
  readonly filterPrefix?: string;
  readonly filterSuffix?: string;
}

export interface RuleModel {
  readonly name: string;
  readonly eventBusName: string;
  readonly eventPattern: unknown;
  /** Names of the SNS topics the rule targets. */
  readonly topics: readonly string[];
}

export interface FunctionModel {
  readonly name: string;
  /** `<file>.<export>`: `index.handler` (augmenter), `index.archiveHandler` (archiver). */
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly runtime: string;
  /** The function's environment as infra declares it (queue URLs still name AWS hosts). */
  readonly environment: Readonly<Record<string, string>>;
  /** Its SQS event source mapping. */
  readonly mapping: {
    readonly queue: string;
    readonly batchSize: number;
    readonly batchWindowSeconds: number;
    readonly maxConcurrency: number;
    readonly reportBatchItemFailures: boolean;
  };
}

/** What the emulated stack creates, read from the Pulumi program itself (never restated here). */
export interface InfraModel {
  readonly region: string;
  readonly queues: readonly QueueModel[];
  readonly buckets: readonly string[];
  readonly notifications: readonly NotificationModel[];
  readonly eventBuses: readonly string[];
  readonly rules: readonly RuleModel[];
  readonly topics: readonly string[];
  /** DynamoDB tables as CreateTable input. */
  readonly tables: readonly Record<string, unknown>[];
  readonly augmenter: FunctionModel;
  /** The archiver: the same bundle, fed by the archive queue. */
  readonly archiver: FunctionModel;
  /** The gateway instances' notification queue: name prefix, attributes, raw delivery (from their boot script). */
  readonly notifyQueue: {
    readonly prefix: string;
    readonly attributes: Readonly<Record<string, string>>;
    readonly rawMessageDelivery: boolean;
    readonly topic: string;
  };
  /** The environment infra gives the gateway instances. */
  readonly gatewayEnvironment: Readonly<Record<string, string>>;
}

const nameFromArn = (arn: string): string => arn.split(':').pop() ?? arn;

const one = (synth: Synthesized, type: string): DeclaredResource => {
  const [found, ...more] = synth.ofType(type);
  if (!found || more.length > 0)
    throw new Error(`infra declares ${more.length + (found ? 1 : 0)} ${type}, expected one`);
  return found;
};

const queueModel = (queue: DeclaredResource): QueueModel => {
  const i = queue.inputs;
  const attributes: Record<string, string> = {};
  if (i.visibilityTimeoutSeconds !== undefined) attributes.VisibilityTimeout = String(i.visibilityTimeoutSeconds);
  if (i.messageRetentionSeconds !== undefined) attributes.MessageRetentionPeriod = String(i.messageRetentionSeconds);
  if (i.receiveWaitTimeSeconds !== undefined)
    attributes.ReceiveMessageWaitTimeSeconds = String(i.receiveWaitTimeSeconds);
  if (i.delaySeconds !== undefined) attributes.DelaySeconds = String(i.delaySeconds);
  const redrive = i.redrivePolicy
    ? (JSON.parse(String(i.redrivePolicy)) as { deadLetterTargetArn: string; maxReceiveCount: number })
    : undefined;
  return {
    name: String(queue.state.name),
    attributes,
    ...(redrive
      ? { deadLetterQueue: nameFromArn(redrive.deadLetterTargetArn), maxReceiveCount: Number(redrive.maxReceiveCount) }
      : {}),
  };
};

/** The boot script of the gateway instances, from the launch template (base64, maybe gzipped). */
const userDataOf = (synth: Synthesized): string => {
  const raw = Buffer.from(String(one(synth, 'aws:ec2/launchTemplate:LaunchTemplate').inputs.userData ?? ''), 'base64');
  return (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
};

const notifyQueueOf = (synth: Synthesized, topics: readonly string[]): InfraModel['notifyQueue'] => {
  const script = userDataOf(synth);
  const attributesJson = /notify-queue\.json <<'JSON'\n(.*)\nJSON/.exec(script)?.[1];
  const prefix = /NOTIFY_QUEUE_PREFIX='([^']*)'/.exec(script)?.[1];
  const topicArn = /TOPIC_ARN='([^']*)'/.exec(script)?.[1];
  if (!attributesJson || prefix === undefined || !topicArn) {
    throw new Error(
      'the gateway boot script no longer declares its notification queue the way apps/aws-emulated reads it',
    );
  }
  const attributes = JSON.parse(attributesJson) as Record<string, string>;
  // The policy admits the SNS service principal; the emulator has no IAM, so it is left out.
  delete attributes.Policy;
  const topic = nameFromArn(topicArn);
  if (!topics.includes(topic)) throw new Error(`the gateway subscribes to ${topic}, which infra does not declare`);
  return { prefix, attributes, rawMessageDelivery: /RawMessageDelivery=true/.test(script), topic };
};

const tableInput = (table: DeclaredResource): Record<string, unknown> => {
  const i = table.inputs;
  const keys = (hash: string, range?: string) => [
    { AttributeName: hash, KeyType: 'HASH' },
    ...(range ? [{ AttributeName: range, KeyType: 'RANGE' }] : []),
  ];
  return {
    TableName: String(table.state.name),
    BillingMode: i.billingMode,
    AttributeDefinitions: (i.attributes as { name: string; type: string }[]).map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: keys(i.hashKey, i.rangeKey),
    GlobalSecondaryIndexes: ((i.globalSecondaryIndexes ?? []) as Record<string, unknown>[]).map((index) => {
      const schemas = index.keySchemas as { attributeName: string; keyType: string }[];
      return {
        IndexName: index.name,
        KeySchema: schemas.map((k) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
        Projection: {
          ProjectionType: index.projectionType,
          ...(index.nonKeyAttributes ? { NonKeyAttributes: index.nonKeyAttributes } : {}),
        },
      };
    }),
  };
};

/** A queue-fed function of infra, by its logical name, with its event source mapping (`<name>-queue`). */
const functionModel = (synth: Synthesized, name: string): FunctionModel => {
  const fn = synth.named('aws:lambda/function:Function', name);
  const mapping = synth.named('aws:lambda/eventSourceMapping:EventSourceMapping', `${name}-queue`);
  return {
    name: String(fn.state.name),
    handler: String(fn.inputs.handler),
    memoryMb: Number(fn.inputs.memorySize),
    timeoutSeconds: Number(fn.inputs.timeout),
    runtime: String(fn.inputs.runtime),
    environment: (fn.inputs.environment?.variables ?? {}) as Record<string, string>,
    mapping: {
      queue: nameFromArn(String(mapping.inputs.eventSourceArn)),
      batchSize: Number(mapping.inputs.batchSize),
      batchWindowSeconds: Number(mapping.inputs.maximumBatchingWindowInSeconds ?? 0),
      maxConcurrency: Number(mapping.inputs.scalingConfig?.maximumConcurrency ?? 1000),
      reportBatchItemFailures: ((mapping.inputs.functionResponseTypes ?? []) as string[]).includes(
        'ReportBatchItemFailures',
      ),
    },
  };
};

/**
 * Declares the Pulumi program under mocks with `settings` (as `pulumi config` would hold them) and
 * reads back what the emulated stack must create: the queues with their visibility timeout, retention
 * and redrive policy, the buckets and their ObjectCreated notification filter, the event bus, the rule
 * with its event pattern and SNS target, the job table, the augmenter function with its event source
 * mapping and environment, and the gateway's notification queue.
 */
export const readInfraModel = async (settings: RawSettings = {}): Promise<InfraModel> => {
  const synth = await synthesize(settings, {}, EMULATED_STACK);
  const topics = synth.ofType('aws:sns/topic:Topic').map((t) => String(t.state.name));
  const bucketName = (bucket: string): string => String(bucket);
  return {
    region: REGION,
    queues: synth.ofType('aws:sqs/queue:Queue').map(queueModel),
    buckets: synth.ofType('aws:s3/bucket:Bucket').map((b) => String(b.state.bucket)),
    notifications: synth.ofType('aws:s3/bucketNotification:BucketNotification').flatMap((n) =>
      ((n.inputs.queues ?? []) as Record<string, unknown>[]).map((q) => ({
        bucket: bucketName(n.inputs.bucket),
        queue: nameFromArn(String(q.queueArn)),
        events: q.events as string[],
        ...(q.filterPrefix ? { filterPrefix: String(q.filterPrefix) } : {}),
        ...(q.filterSuffix ? { filterSuffix: String(q.filterSuffix) } : {}),
      })),
    ),
    eventBuses: synth.ofType('aws:cloudwatch/eventBus:EventBus').map((b) => String(b.inputs.name ?? b.state.name)),
    // Rules with an event pattern (scheduled rules, such as the janitor's hourly sweep, have none).
    rules: synth
      .ofType('aws:cloudwatch/eventRule:EventRule')
      .filter((rule) => rule.inputs.eventPattern !== undefined)
      .map((rule) => ({
        name: rule.name,
        eventBusName: String(rule.inputs.eventBusName ?? 'default'),
        eventPattern: JSON.parse(String(rule.inputs.eventPattern)),
        topics: synth
          .ofType('aws:cloudwatch/eventTarget:EventTarget')
          .filter((t) => t.inputs.rule === rule.name && String(t.inputs.arn).startsWith('arn:aws:sns:'))
          .map((t) => nameFromArn(String(t.inputs.arn))),
      })),
    topics,
    tables: synth.ofType('aws:dynamodb/table:Table').map(tableInput),
    augmenter: functionModel(synth, 'augmenter'),
    archiver: functionModel(synth, 'augmenter-archiver'),
    notifyQueue: notifyQueueOf(synth, topics),
    gatewayEnvironment: gatewayEnvironmentOf(userDataOf(synth)),
  };
};

/** The plain settings the boot script writes to the service's environment file. */
const gatewayEnvironmentOf = (script: string): Record<string, string> => {
  const block = /cat > \/etc\/delta-augment\/env <<'ENV'\n([\s\S]*?)\nENV/.exec(script)?.[1] ?? '';
  const env: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) env[match[1]] = JSON.parse(match[2]) as string;
  }
  return env;
};
