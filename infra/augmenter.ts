import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicy, policyDocument } from './iam.js';
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
  readonly sourcesBucket: aws.s3.Bucket;
  readonly resultsBucket: aws.s3.Bucket;
  readonly table: aws.dynamodb.Table;
  readonly bus: aws.cloudwatch.EventBus;
  /** Environment shared with the gateway (retention, receive count, ...). */
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * The augmenter Lambda and what it needs: a role that may only receive/delete/extend messages of
 * the upload queue, read `sources/*`, read and write `results/*`, use the job table and its
 * indexes, put events on the job bus and write its own log group; the function (ESM bundle,
 * handler `index.handler`); and the SQS event source mapping with partial-batch responses
 * (`ReportBatchItemFailures`) and a concurrency cap. SQS invokes through the mapping (the role's
 * permissions), so no `lambda.Permission` exists to scope.
 */
export class Augmenter extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly eventSourceMapping: aws.lambda.EventSourceMapping;

  constructor(name: string, args: AugmenterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:augmenter:Augmenter', name, {}, opts);
    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: 14 }, { parent: this });
    this.role = new aws.iam.Role(
      `${name}-role`,
      { assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com') },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: this.role.name,
        policy: policyDocument([
          {
            Sid: 'ConsumeUploadQueue',
            Effect: 'Allow',
            Action: [
              'sqs:ReceiveMessage',
              'sqs:DeleteMessage',
              'sqs:ChangeMessageVisibility',
              'sqs:GetQueueAttributes',
            ],
            Resource: args.queue.arn,
          },
          {
            Sid: 'ReadSources',
            Effect: 'Allow',
            Action: 's3:GetObject',
            Resource: pulumi.interpolate`${args.sourcesBucket.arn}/sources/*`,
          },
          {
            // Variants, thumbnails and the job archive (read back to build the zip).
            Sid: 'WriteResults',
            Effect: 'Allow',
            Action: ['s3:PutObject', 's3:GetObject'],
            Resource: pulumi.interpolate`${args.resultsBucket.arn}/results/*`,
          },
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
          {
            Sid: 'WriteOwnLogs',
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: pulumi.interpolate`${logGroup.arn}:*`,
          },
        ]),
      },
      { parent: this },
    );

    this.function = new aws.lambda.Function(
      name,
      {
        description: 'Delta Augment: augments uploaded sources from the SQS upload queue',
        runtime: LAMBDA_RUNTIME,
        architectures: [args.architecture],
        handler: 'index.handler',
        code: args.code(args.architecture),
        role: this.role.arn,
        memorySize: args.memoryMb,
        timeout: args.timeoutSeconds,
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
        environment: {
          variables: pulumi.output(args.environment).apply((env) => ({
            ...env,
            HANDLER_TIMEOUT_SECONDS: String(args.timeoutSeconds),
            NODE_OPTIONS: '--enable-source-maps',
          })),
        },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    this.eventSourceMapping = new aws.lambda.EventSourceMapping(
      `${name}-uploads`,
      {
        eventSourceArn: args.queue.arn,
        functionName: this.function.arn,
        batchSize: args.batchSize,
        maximumBatchingWindowInSeconds: args.batchWindowSeconds,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: args.maxConcurrency },
        enabled: true,
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    this.registerOutputs({ functionName: this.function.name });
  }
}
