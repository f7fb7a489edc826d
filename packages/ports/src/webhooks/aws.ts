import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type Clock, systemClock } from '@delta-augment/core';
import { awsCall, errorName, toSharedError } from '../aws-errors.js';
import { DYNAMO_TABLE_SCHEMA } from '../job-event-store/aws.js';
import type { Webhook, WebhookAttempt, WebhookOutbox, WebhookStatus } from './port.js';

/** The `owner` partition of the `byOwner` index under which due webhooks are listed (no caller has it). */
export const WEBHOOKS_DUE_PARTITION = '#webhooks-due';
const WEBHOOK_SK = 'WEBHOOK';
/** Attempts kept per webhook (the first ones and the latest), as the SQLite outbox does. */
const MAX_ATTEMPTS_KEPT = 60;
/** A webhook row outlives its 24 h of retries by this much (DynamoDB TTL); deleting the job removes it first. */
const RETENTION_SECONDS = 30 * 86_400;

interface Item {
  pk: string;
  sk: string;
  jobId: string;
  url: string;
  secret: string;
  status: WebhookStatus;
  nextAt: number;
  firstAttemptAt?: number;
  payload?: string;
  attempts: string;
  owner?: string;
  createdAt?: string;
  expiresAt: number;
}

/** The index sort key of a due time: epoch ms, zero-padded so that strings sort as numbers. */
const dueKey = (epochMs: number): string => String(Math.max(0, Math.floor(epochMs))).padStart(15, '0');

const webhookOf = (item: Item): Webhook => ({
  jobId: item.jobId,
  url: item.url,
  secret: item.secret,
  status: item.status,
  nextAt: item.nextAt,
  firstAttemptAt: item.firstAttemptAt,
  payload: item.payload,
  attempts: JSON.parse(item.attempts) as WebhookAttempt[],
});

export interface DynamoDbWebhookOutboxOptions {
  readonly clock?: Clock;
  /**
   * How long a dispatcher holds a row it took from `due` before another instance may take it (ms): longer
   * than one delivery (the receiver's timeout), so that two gateway instances never POST the same attempt.
   */
  readonly leaseMs?: number;
  readonly ownerIndex?: string;
}

/**
 * The webhook outbox in the jobs table (`pk` = `JOB#<jobId>`, `sk` = `WEBHOOK`), so deleting a job deletes its
 * webhook. While a webhook waits for its job or for a retry, its item carries `owner` = `#webhooks-due` and
 * `createdAt` = its due time: the `byOwner` index then lists due webhooks in time order, and a delivered or
 * abandoned one drops out of it (the attributes are removed). `due` claims each row it returns with a
 * conditional write that moves its due time a lease ahead, so the gateway instances of an auto-scaling group
 * can all run the dispatcher and each attempt is made once; a dispatcher that dies mid-delivery leaves the
 * row to be taken again when the lease ends.
 */
export class DynamoDbWebhookOutbox implements WebhookOutbox {
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly ownerIndex: string;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    options: DynamoDbWebhookOutboxOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.ownerIndex = options.ownerIndex ?? DYNAMO_TABLE_SCHEMA.ownerIndex.name;
  }

  private key(jobId: string): Record<string, AttributeValue> {
    return marshall({ pk: `JOB#${jobId}`, sk: WEBHOOK_SK });
  }

  async register(webhook: { jobId: string; url: string; secret: string; nextAt: number }): Promise<void> {
    const item: Item = {
      pk: `JOB#${webhook.jobId}`,
      sk: WEBHOOK_SK,
      jobId: webhook.jobId,
      url: webhook.url,
      secret: webhook.secret,
      status: 'waiting',
      nextAt: webhook.nextAt,
      attempts: '[]',
      owner: WEBHOOKS_DUE_PARTITION,
      createdAt: dueKey(webhook.nextAt),
      expiresAt: Math.floor(this.clock.now() / 1000) + RETENTION_SECONDS,
    };
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: marshall(item, { removeUndefinedValues: true }),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return; // registered already: as INSERT OR IGNORE
      throw toSharedError(error, `dynamodb register webhook ${webhook.jobId}`);
    }
  }

  async get(jobId: string): Promise<Webhook | undefined> {
    const out = await awsCall(`dynamodb webhook ${jobId}`, () =>
      this.db.send(new GetItemCommand({ TableName: this.table, Key: this.key(jobId), ConsistentRead: true })),
    );
    return out.Item ? webhookOf(unmarshall(out.Item) as Item) : undefined;
  }

  /** Due rows, oldest first, each claimed for `leaseMs` (rows another instance claimed first are skipped). */
  async due(now: number, limit: number): Promise<Webhook[]> {
    const page = await awsCall('dynamodb due webhooks', () =>
      this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: this.ownerIndex,
          KeyConditionExpression: '#owner = :due AND #createdAt <= :now',
          ExpressionAttributeNames: { '#owner': 'owner', '#createdAt': 'createdAt' },
          ExpressionAttributeValues: marshall({ ':due': WEBHOOKS_DUE_PARTITION, ':now': dueKey(now) }),
          Limit: limit,
        }),
      ),
    );
    const claimed = await Promise.all(
      (page.Items ?? []).map(async (raw) => {
        const seen = unmarshall(raw) as Pick<Item, 'pk' | 'sk' | 'createdAt'>;
        try {
          const out = await this.db.send(
            new UpdateItemCommand({
              TableName: this.table,
              Key: marshall({ pk: seen.pk, sk: seen.sk }),
              UpdateExpression: 'SET #createdAt = :lease',
              ConditionExpression: '#owner = :due AND #createdAt = :seen',
              ExpressionAttributeNames: { '#owner': 'owner', '#createdAt': 'createdAt' },
              ExpressionAttributeValues: marshall({
                ':due': WEBHOOKS_DUE_PARTITION,
                ':seen': seen.createdAt,
                ':lease': dueKey(now + this.leaseMs),
              }),
              ReturnValues: 'ALL_NEW',
            }),
          );
          return out.Attributes ? webhookOf(unmarshall(out.Attributes) as Item) : undefined;
        } catch (error) {
          if (errorName(error) === 'ConditionalCheckFailedException') return undefined; // another instance took it
          throw toSharedError(error, 'dynamodb claim webhook');
        }
      }),
    );
    return claimed.filter((w): w is Webhook => w !== undefined);
  }

  async wait(jobId: string, nextAt: number): Promise<void> {
    await this.update(jobId, 'SET #nextAt = :next, #createdAt = :due', '#status = :waiting', {
      ':next': nextAt,
      ':due': dueKey(nextAt),
      ':waiting': 'waiting',
    });
  }

  async record(
    jobId: string,
    attempt: WebhookAttempt,
    next: { status: WebhookStatus; nextAt: number; payload: string; firstAttemptAt: number },
  ): Promise<void> {
    const current = await this.get(jobId);
    if (!current) return;
    const attempts = [...current.attempts, attempt];
    if (attempts.length > MAX_ATTEMPTS_KEPT) attempts.splice(10, attempts.length - MAX_ATTEMPTS_KEPT);
    const open = next.status === 'waiting' || next.status === 'pending';
    await this.update(
      jobId,
      `SET #status = :status, #nextAt = :next, #payload = :payload, #firstAttemptAt = :first, #attempts = :attempts${
        open ? ', #owner = :owner, #createdAt = :due' : ' REMOVE #owner, #createdAt'
      }`,
      'attribute_exists(pk)',
      {
        ':status': next.status,
        ':next': next.nextAt,
        ':payload': next.payload,
        ':first': next.firstAttemptAt,
        ':attempts': JSON.stringify(attempts),
        ...(open ? { ':owner': WEBHOOKS_DUE_PARTITION, ':due': dueKey(next.nextAt) } : {}),
      },
    );
  }

  async delete(jobId: string): Promise<void> {
    await awsCall(`dynamodb delete webhook ${jobId}`, () =>
      this.db.send(new DeleteItemCommand({ TableName: this.table, Key: this.key(jobId) })),
    );
  }

  async close(): Promise<void> {}

  /** An update that does nothing when its condition fails (the row is gone, or no longer in that state). */
  private async update(
    jobId: string,
    expression: string,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    const names: Record<string, string> = {};
    for (const name of ['status', 'owner', 'createdAt', 'nextAt', 'payload', 'firstAttemptAt', 'attempts'])
      if (expression.includes(`#${name}`) || condition.includes(`#${name}`)) names[`#${name}`] = name;
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: this.key(jobId),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: marshall(values),
        }),
      );
    } catch (error) {
      if (errorName(error) === 'ConditionalCheckFailedException') return;
      throw toSharedError(error, `dynamodb update webhook ${jobId}`);
    }
  }
}
