import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

/** The key schema the AWS JobEventStore adapter relies on (documented in docs/DEPLOY.md). */
export const jobTableSchema = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ownerIndex: 'byOwner',
  ownerIndexPartitionKey: 'owner',
  ownerIndexSortKey: 'createdAt',
  ttlAttribute: 'expiresAt',
  /**
   * What the `byOwner` index projects besides the keys: the job record's fields that a job list
   * reads (the adapter's `OWNER_INDEX_ATTRIBUTES`, held equal by a test), not the whole item.
   */
  ownerIndexAttributes: [
    'status',
    'tags',
    'updatedAt',
    'expiresIso',
    'seq',
    'sourceCount',
    'uploaded',
    'started',
    'settled',
    'failed',
    'variants',
    'bytes',
    'outcome',
    'archive',
    'failure',
    'header',
  ],
} as const;

/**
 * The event store table (on-demand), in the layout of the AWS JobEventStore adapter
 * (packages/ports/src/job-event-store/aws.ts): one item per job event (`pk` = `JOB#<jobId>`,
 * `sk` = `EVT#<seq, 10 digits>`) and one projection item per job (`sk` = `STATE`) carrying `owner`
 * and `createdAt`, so the sparse `byOwner` index lists a caller's jobs newest first; it projects only
 * the fields a list reads (INCLUDE), never the events or source records (which carry no `owner`). DynamoDB
 * deletes items whose `expiresAt` (epoch seconds) has passed. Point-in-time recovery is on. The
 * on-demand ceiling (`capacity.ts`) caps the bill of a runaway without throttling the augmenter's peak.
 */
export class JobTable extends pulumi.ComponentResource {
  readonly table: aws.dynamodb.Table;

  constructor(
    name: string,
    args: { readonly throughput: { maxWriteRequestUnits: number; maxReadRequestUnits: number } },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super('delta-augment:jobs:JobTable', name, {}, opts);
    const s = jobTableSchema;
    this.table = new aws.dynamodb.Table(
      name,
      {
        billingMode: 'PAY_PER_REQUEST',
        onDemandThroughput: args.throughput,
        hashKey: s.partitionKey,
        rangeKey: s.sortKey,
        attributes: [
          { name: s.partitionKey, type: 'S' },
          { name: s.sortKey, type: 'S' },
          { name: s.ownerIndexPartitionKey, type: 'S' },
          { name: s.ownerIndexSortKey, type: 'S' },
        ],
        globalSecondaryIndexes: [
          {
            name: s.ownerIndex,
            keySchemas: [
              { attributeName: s.ownerIndexPartitionKey, keyType: 'HASH' },
              { attributeName: s.ownerIndexSortKey, keyType: 'RANGE' },
            ],
            projectionType: 'INCLUDE',
            nonKeyAttributes: [...s.ownerIndexAttributes],
          },
        ],
        ttl: { attributeName: s.ttlAttribute, enabled: true },
        pointInTimeRecovery: { enabled: true },
      },
      { parent: this },
    );
    this.registerOutputs({ tableName: this.table.name });
  }
}
