import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { EventDeadLetters } from './event-dead-letters.js';
import { functionRole, invokeOnRule } from './function-role.js';
import { LAMBDA_RUNTIME } from './runtime.js';
import type { Architecture } from './settings.js';

/** How often the stack's one retention sweep runs. */
export const RETENTION_SCHEDULE = 'rate(1 day)';
/** Lambda's longest timeout: a sweep of a large table has the whole window, and the next run is a day later. */
export const RETENTION_TIMEOUT_SECONDS = 900;

export interface RetentionSweeperArgs {
  /** The augmenter bundle (one commit for every function); the sweep is its `retentionHandler`. */
  readonly code: pulumi.Input<pulumi.asset.Archive>;
  readonly architecture: Architecture;
  readonly sourcesBucket: aws.s3.Bucket;
  readonly resultsBucket: aws.s3.Bucket;
  readonly table: aws.dynamodb.Table;
  /** The app's settings (TABLE_NAME, buckets, RETENTION_DAYS, ...). */
  readonly environment: pulumi.Input<Record<string, pulumi.Input<string>>>;
  readonly deadLetters: EventDeadLetters;
}

/**
 * The stack's single retention sweep: one function on a daily schedule deletes the jobs past their
 * retention with their blobs (what DynamoDB TTL and the buckets' lifecycle rules have not yet removed),
 * instead of every gateway instance scanning the table on its own timer. A run lasts at most 15 minutes
 * and the next starts a day later, so runs never overlap. Its role may only find expired jobs
 * (Scan/Query), delete their items and delete and list their objects; the schedule's target retries and
 * dead-letters, and the invocation grant is scoped to the rule.
 */
export class RetentionSweeper extends pulumi.ComponentResource {
  readonly function: aws.lambda.Function;
  readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: RetentionSweeperArgs, opts?: pulumi.ComponentResourceOptions) {
    super('delta-augment:jobs:RetentionSweeper', name, {}, opts);
    const { logGroup, role, rolePolicy } = functionRole(
      name,
      [
        {
          // Finds expired job records (a filtered scan), then each job's items, and deletes them.
          Sid: 'DeleteExpiredJobs',
          Effect: 'Allow',
          Action: ['dynamodb:Scan', 'dynamodb:Query', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'],
          Resource: args.table.arn,
        },
        {
          Sid: 'ListJobObjects',
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: [args.sourcesBucket.arn, args.resultsBucket.arn],
        },
        {
          Sid: 'DeleteJobObjects',
          Effect: 'Allow',
          Action: 's3:DeleteObject',
          Resource: [
            pulumi.interpolate`${args.sourcesBucket.arn}/sources/*`,
            pulumi.interpolate`${args.resultsBucket.arn}/results/*`,
          ],
        },
        args.deadLetters.functionDeadLetters.statement,
      ],
      this,
    );
    this.function = new aws.lambda.Function(
      name,
      {
        description: 'Delta Augment: deletes the jobs past their retention, with their blobs (daily)',
        runtime: LAMBDA_RUNTIME,
        architectures: [args.architecture],
        handler: 'index.retentionHandler',
        code: args.code,
        role: role.arn,
        memorySize: 512,
        timeout: RETENTION_TIMEOUT_SECONDS,
        loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
        deadLetterConfig: args.deadLetters.functionDeadLetters.config,
        environment: {
          variables: pulumi.output(args.environment).apply((env) => ({ ...env, NODE_OPTIONS: '--enable-source-maps' })),
        },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );
    this.rule = new aws.cloudwatch.EventRule(
      name,
      { description: 'Delete the jobs past their retention', scheduleExpression: RETENTION_SCHEDULE },
      { parent: this },
    );
    invokeOnRule(name, this.rule, this.function, args.deadLetters, this);
    this.registerOutputs({ functionName: this.function.name });
  }
}
