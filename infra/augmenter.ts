import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { functionRole } from './function-role.js';
import type { Statement } from './iam.js';
import type { LambdaCodeFactory } from './lambda-package.js';
import { LAMBDA_RUNTIME } from './runtime.js';
import type { Architecture } from './settings.js';

export interface AugmenterArgs {
  readonly code: LambdaCodeFactory;
  readonly architecture: Architecture;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly queue: aws.sqs.Queue;
  /** Archive requests: the augmenter sends, the archiver consumes. */
  readonly archiveQueue: aws.sqs.Queue;
  readonly sourcesBucket: aws.s3.Bucket;
  readonly resultsBucket: aws.s3.Bucket;
  readonly table: aws.dynamodb.Table;
  readonly bus: aws.cloudwatch.EventBus;
  /** Environment shared with the gateway (retention, receive count, ...). */
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/** The archiver: one job's zip per invocation, streamed to S3 in parts; Lambda's longest timeout. */
export const ARCHIVER = {
  memoryMb: 2048,
  timeoutSeconds: 900,
  batchSize: 1,
  maxConcurrency: 10,
  /** Receives of an archive request before its queue dead-letters it; the archiver gives up at the last one. */
  maxReceiveCount: 3,
} as const;

/** Both functions append job events and publish them. */
const jobStatements = (args: AugmenterArgs): Statement[] => [
  {
    // Without it S3 answers HeadObject of a missing key with 403 instead of 404.
    Sid: 'ListBuckets',
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: [args.sourcesBucket.arn, args.resultsBucket.arn],
  },
  {
    Sid: 'JobEventStore',
    Effect: 'Allow',
    Action: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:Query',
    ],
    Resource: [args.table.arn, pulumi.interpolate`${args.table.arn}/index/*`],
  },
  { Sid: 'PublishJobEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: args.bus.arn },
];

const consumeQueue = (queue: aws.sqs.Queue): Statement => ({
  Sid: 'ConsumeQueue',
  Effect: 'Allow',
  Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
  Resource: queue.arn,
});

interface ConsumerSpec {
  readonly name: string;
  readonly description: string;
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly queue: aws.sqs.Queue;
  /** The queue's visibility timeout: the app checks it against its own timeout at start-up. */
  readonly visibilityTimeoutSeconds: pulumi.Input<number | undefined>;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly statements: Statement[];
  /** Settings of this function that differ from the app's shared ones. */
  readonly environment?: Record<string, string>;
}

/**
 * The augmenter and the archiver: two Lambdas from one bundle (so they always run the same commit),
 * each with its own role, log group and SQS event source mapping with partial-batch responses
 * (`ReportBatchItemFailures`) and a concurrency cap. The augmenter may only consume the upload queue,
 * read `sources/*`, write `results/*` and send archive requests; the archiver may only consume the
 * archive queue and read and write `results/*` (multipart upload included, with its abort). SQS invokes
 * through the mappings (the roles' permissions), so no `lambda.Permission` exists to scope.
 */
export class Augmenter extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly eventSourceMapping: aws.lambda.EventSourceMapping;
  readonly archiver: aws.lambda.Function;
  readonly archiverRole: aws.iam.Role;
  /** The bundle every function of the stack runs (one commit). */
  readonly code: pulumi.Input<pulumi.asset.Archive>;

  constructor(name: string, args: AugmenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:augmenter:Augmenter', name, {}, opts);
    const code = args.code(args.architecture);
    this.code = code;
    const consumer = (spec: ConsumerSpec) => {
      const { logGroup, role, rolePolicy } = functionRole(spec.name, spec.statements, this);
      const fn = new aws.lambda.Function(
        spec.name,
        {
          description: spec.description,
          runtime: LAMBDA_RUNTIME,
          architectures: [args.architecture],
          handler: spec.handler,
          code,
          role: role.arn,
          memorySize: spec.memoryMb,
          timeout: spec.timeoutSeconds,
          loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
          environment: {
            variables: pulumi.all([args.environment, spec.visibilityTimeoutSeconds]).apply(([env, visibility]) => ({
              ...env,
              ...spec.environment,
              HANDLER_TIMEOUT_SECONDS: String(spec.timeoutSeconds),
              VISIBILITY_TIMEOUT_SECONDS: String(visibility),
              NODE_OPTIONS: '--enable-source-maps',
            })),
          },
        },
        { parent: this, dependsOn: [rolePolicy] },
      );
      const mapping = new aws.lambda.EventSourceMapping(
        `${spec.name}-queue`,
        {
          eventSourceArn: spec.queue.arn,
          functionName: fn.arn,
          batchSize: spec.batchSize,
          maximumBatchingWindowInSeconds: spec.batchWindowSeconds,
          functionResponseTypes: ['ReportBatchItemFailures'],
          scalingConfig: { maximumConcurrency: spec.maxConcurrency },
          enabled: true,
        },
        { parent: this, dependsOn: [rolePolicy] },
      );
      return { fn, role, mapping };
    };

    const augmenter = consumer({
      name,
      description: 'Delta Augment: augments uploaded sources from the SQS upload queue',
      handler: 'index.handler',
      memoryMb: args.memoryMb,
      timeoutSeconds: args.timeoutSeconds,
      queue: args.queue,
      visibilityTimeoutSeconds: args.queue.visibilityTimeoutSeconds,
      batchSize: args.batchSize,
      batchWindowSeconds: args.batchWindowSeconds,
      maxConcurrency: args.maxConcurrency,
      statements: [
        consumeQueue(args.queue),
        {
          Sid: 'ReadSources',
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: pulumi.interpolate`${args.sourcesBucket.arn}/sources/*`,
        },
        {
          // Variants and thumbnails.
          Sid: 'WriteResults',
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
          Resource: pulumi.interpolate`${args.resultsBucket.arn}/results/*`,
        },
        { Sid: 'RequestArchives', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: args.archiveQueue.arn },
        ...jobStatements(args),
      ],
    });
    this.function = augmenter.fn;
    this.role = augmenter.role;
    this.eventSourceMapping = augmenter.mapping;

    const archiver = consumer({
      name: `${name}-archiver`,
      description: 'Delta Augment: writes a settled job archive (zip of its variants) from the archive queue',
      handler: 'index.archiveHandler',
      memoryMb: ARCHIVER.memoryMb,
      timeoutSeconds: ARCHIVER.timeoutSeconds,
      queue: args.archiveQueue,
      visibilityTimeoutSeconds: args.archiveQueue.visibilityTimeoutSeconds,
      batchSize: ARCHIVER.batchSize,
      batchWindowSeconds: 0,
      maxConcurrency: ARCHIVER.maxConcurrency,
      // The archiver records a finalisation that keeps failing at its queue's last receive, not the upload queue's
      // (with the upload queue's 5 it never reached a 5th receive: the request went to the DLQ and the job stayed open).
      environment: { MAX_RECEIVE_COUNT: String(ARCHIVER.maxReceiveCount) },
      statements: [
        consumeQueue(args.archiveQueue),
        {
          // Reads the variants, writes the zip in parts (and aborts a failed multipart upload).
          Sid: 'WriteArchives',
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          Resource: pulumi.interpolate`${args.resultsBucket.arn}/results/*`,
        },
        ...jobStatements(args),
      ],
    });
    this.archiver = archiver.fn;
    this.archiverRole = archiver.role;

    this.registerOutputs({ functionName: this.function.name, archiverName: this.archiver.name });
  }
}
