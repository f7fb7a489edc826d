import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  ScanCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { JobEvent, JobEventBody } from '@delta-augment/core';
import {
  type Clock,
  ConcurrencyError,
  DeltaError,
  evolve,
  foldEvents,
  type JobState,
  systemClock,
  TransientError,
} from '@delta-augment/core';
import { awsCall, errorName, sleep, toSharedError } from '../aws-errors.js';
import { decodeCursor, encodeCursor, type JobEventStore, type JobPage, type JobQuery } from './port.js';

/**
 * Table layout (one table, created by infra):
 * - key: `pk` (S, partition) = `JOB#<jobId>`, `sk` (S, sort)
 * - events: `sk` = `EVT#<seq, 10 digits>`, attributes `seq` (N), `type`, `at`, `data` (JSON), `expiresAt` (N)
 * - projection: `sk` = `STATE`, attributes `owner`, `status`, `createdAt`, `expiresAt` (N, epoch seconds: the TTL
 *   attribute), `version` (N), `tags` (L of S), and the state as `state` (JSON string) or, when large, `stateGz`
 *   (gzip of the JSON, B); a state too large even then is not stored and `load` folds the events instead.
 * - GSI `byOwner`: partition `owner` (S), sort `createdAt` (S), projection ALL. Only projection items carry `owner`.
 */
export const DYNAMO_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ownerIndex: { name: 'byOwner', partitionKey: 'owner', sortKey: 'createdAt' },
  ttlAttribute: 'expiresAt',
} as const;

const STATE_SK = 'STATE';
const MAX_TRANSACTION_ITEMS = 100;
const STATE_INLINE_BYTES = 256 * 1024;
const STATE_GZIP_BYTES = 300 * 1024;
const BATCH_WRITE_ATTEMPTS = 8;

const pkOf = (jobId: string): string => `JOB#${jobId}`;
const eventSk = (seq: number): string => `EVT#${String(seq).padStart(10, '0')}`;
const jobIdOf = (pk: string): string => pk.slice('JOB#'.length);
const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

type Item = Record<string, AttributeValue>;

interface StateItem {
  pk: string;
  owner: string;
  createdAt: string;
  version: number;
  state?: string;
  stateGz?: Uint8Array;
}

export interface DynamoDbJobEventStoreOptions {
  /** GSI over (owner, createdAt); default `byOwner`. */
  readonly ownerIndex?: string;
}

/**
 * DynamoDB event store. An append is one TransactWriteItems: a conditional put per event
 * (`attribute_not_exists(pk)` on its `EVT#seq` key) and the projection put conditioned on its
 * version, so a stream that moved on cancels the whole append with a `ConcurrencyError`.
 */
export class DynamoDbJobEventStore implements JobEventStore {
  private readonly ownerIndex: string;

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Clock = systemClock,
    options: DynamoDbJobEventStoreOptions = {},
  ) {
    this.ownerIndex = options.ownerIndex ?? DYNAMO_TABLE_SCHEMA.ownerIndex.name;
  }

  async append(jobId: string, expectedVersion: number, events: readonly JobEventBody[]): Promise<JobEvent[]> {
    if (events.length === 0) return [];
    if (events.length + 1 > MAX_TRANSACTION_ITEMS) {
      throw new DeltaError('TOO_MANY_EVENTS', `one append holds at most ${MAX_TRANSACTION_ITEMS - 1} events`);
    }
    const current = await this.stateItem(jobId);
    if ((current?.version ?? 0) !== expectedVersion) throw new ConcurrencyError(jobId, expectedVersion);
    let state = current ? await this.stateOf(current) : undefined;
    const at = new Date(this.clock.now()).toISOString();
    const stored = events.map((body, i) => ({ ...body, jobId, seq: expectedVersion + i + 1, at }) as JobEvent);
    for (const event of stored) state = evolve(state, event);
    if (!state) throw new DeltaError('INVALID_STREAM', `job ${jobId} has no JobCreated event`);
    const expiresAt = epochSeconds(state.expiresAt);
    const items: TransactWriteItem[] = stored.map((event) => ({
      Put: {
        TableName: this.table,
        Item: marshall({
          pk: pkOf(jobId),
          sk: eventSk(event.seq),
          seq: event.seq,
          type: event.type,
          at: event.at,
          data: JSON.stringify(event.data),
          expiresAt,
        }),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    }));
    items.push({
      Put: {
        TableName: this.table,
        Item: {
          ...marshall({
            pk: pkOf(jobId),
            sk: STATE_SK,
            owner: state.owner,
            status: state.status,
            createdAt: state.createdAt,
            expiresAt,
            version: state.version,
            tags: [...state.tags],
          }),
          ...encodeState(state),
        },
        ...(expectedVersion === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: '#version = :expected',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
            }),
      },
    });
    try {
      await this.db.send(new TransactWriteItemsCommand({ TransactItems: items }));
    } catch (error) {
      throw appendError(error, jobId, expectedVersion);
    }
    return stored;
  }

  async read(jobId: string, afterSeq = 0): Promise<JobEvent[]> {
    const events: JobEvent[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await awsCall(`dynamodb read ${jobId}`, () =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: marshall({
              ':pk': pkOf(jobId),
              ':from': eventSk(afterSeq + 1),
              ':to': eventSk(9_999_999_999),
            }),
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        ),
      );
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw) as { seq: number; type: string; at: string; data: string };
        events.push({ jobId, seq: item.seq, type: item.type, at: item.at, data: JSON.parse(item.data) } as JobEvent);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return events;
  }

  async load(jobId: string): Promise<JobState | undefined> {
    const item = await this.stateItem(jobId);
    return item ? this.stateOf(item) : undefined;
  }

  /** With an owner: the `byOwner` index, newest first. Without (admin): a filtered table scan, sorted here. */
  async query(query: JobQuery): Promise<JobPage> {
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const items =
      query.owner === undefined
        ? await this.scanJobs(query, limit, after)
        : await this.queryOwner(query.owner, query, limit, after);
    const page = await Promise.all(items.slice(0, limit).map((item) => this.stateOf(item)));
    const last = items[limit - 1];
    return {
      items: page,
      cursor: items.length > limit && last ? encodeCursor(last.createdAt, jobIdOf(last.pk)) : undefined,
    };
  }

  /** Up to `limit + 1` projection items of one owner, newest first, after the cursor. */
  private async queryOwner(
    owner: string,
    query: JobQuery,
    limit: number,
    after: [string, string] | undefined,
  ): Promise<StateItem[]> {
    // BETWEEN with its bounds the wrong way round is a ValidationException; the answer is simply empty.
    if (query.createdAfter && query.createdBefore && query.createdAfter >= query.createdBefore) return [];
    const names: Record<string, string> = { '#owner': 'owner' };
    const values: Record<string, unknown> = { ':owner': owner };
    let key = '#owner = :owner';
    if (query.createdAfter || query.createdBefore) names['#createdAt'] = 'createdAt';
    if (query.createdAfter && query.createdBefore) {
      key += ' AND #createdAt BETWEEN :after AND :before';
      Object.assign(values, { ':after': query.createdAfter, ':before': query.createdBefore });
    } else if (query.createdAfter) {
      key += ' AND #createdAt >= :after';
      values[':after'] = query.createdAfter;
    } else if (query.createdBefore) {
      key += ' AND #createdAt < :before';
      values[':before'] = query.createdBefore;
    }
    const filter = projectionFilter(query, names, values, false);
    const out: StateItem[] = [];
    let ExclusiveStartKey: Item | undefined = after
      ? marshall({ pk: pkOf(after[1]), sk: STATE_SK, owner, createdAt: after[0] })
      : undefined;
    do {
      const page = await awsCall('dynamodb query jobs', () =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: this.ownerIndex,
            KeyConditionExpression: key,
            FilterExpression: filter,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: marshall(values),
            ScanIndexForward: false,
            Limit: Math.max(limit + 1, 25),
            ExclusiveStartKey,
          }),
        ),
      );
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw) as StateItem;
        // BETWEEN is inclusive; createdBefore is not.
        if (query.createdBefore && item.createdAt >= query.createdBefore) continue;
        out.push(item);
        if (out.length > limit) return out;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }

  private async scanJobs(query: JobQuery, limit: number, after: [string, string] | undefined): Promise<StateItem[]> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const filter = projectionFilter(query, names, values, true);
    const all = await this.scan(filter, names, values);
    const newestFirst = (a: StateItem, b: StateItem) =>
      a.createdAt === b.createdAt ? (a.pk < b.pk ? 1 : a.pk > b.pk ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1;
    return all
      .sort(newestFirst)
      .filter(
        (item) => !after || item.createdAt < after[0] || (item.createdAt === after[0] && jobIdOf(item.pk) < after[1]),
      )
      .slice(0, limit + 1);
  }

  private async scan(
    filter: string | undefined,
    names: Record<string, string>,
    values: Record<string, unknown>,
    max = Number.POSITIVE_INFINITY,
  ): Promise<StateItem[]> {
    const out: StateItem[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await awsCall('dynamodb scan jobs', () =>
        this.db.send(
          new ScanCommand({
            TableName: this.table,
            FilterExpression: filter,
            ExpressionAttributeNames: Object.keys(names).length > 0 ? names : undefined,
            ExpressionAttributeValues: marshall(values),
            ExclusiveStartKey,
          }),
        ),
      );
      for (const raw of page.Items ?? []) {
        out.push(unmarshall(raw) as StateItem);
        if (out.length >= max) return out;
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }

  /** Scans projections whose TTL second is due, then compares the exact ISO `expiresAt`. */
  async expired(now: string, limit: number): Promise<string[]> {
    const names = { '#expiresAt': 'expiresAt' };
    const values = { ':state': STATE_SK, ':now': epochSeconds(now) };
    const candidates = await this.scan('sk = :state AND #expiresAt <= :now', names, values);
    const ids: string[] = [];
    for (const item of candidates) {
      if (ids.length >= limit) break;
      const state = await this.stateOf(item);
      if (state.expiresAt < now) ids.push(state.id);
    }
    return ids;
  }

  async delete(jobId: string): Promise<void> {
    const keys: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await awsCall(`dynamodb delete ${jobId}`, () =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: marshall({ ':pk': pkOf(jobId) }),
            ProjectionExpression: 'pk, sk',
            ConsistentRead: true,
            ExclusiveStartKey,
          }),
        ),
      );
      keys.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    for (let i = 0; i < keys.length; i += 25) await this.batchDelete(keys.slice(i, i + 25));
  }

  private async batchDelete(keys: Item[]): Promise<void> {
    let requests = keys.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 1; requests.length > 0; attempt++) {
      const out = await awsCall('dynamodb batch delete', () =>
        this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } })),
      );
      requests = (out.UnprocessedItems?.[this.table] ?? []).flatMap((r) =>
        r.DeleteRequest?.Key ? [{ DeleteRequest: { Key: r.DeleteRequest.Key } }] : [],
      );
      if (requests.length > 0 && attempt >= BATCH_WRITE_ATTEMPTS) {
        throw new TransientError(`dynamodb batch delete left ${requests.length} items unprocessed`);
      }
      if (requests.length > 0) await sleep(Math.min(1000, 25 * 2 ** attempt));
    }
  }

  /** GetItem of a key that never exists: needs only the permission the store uses anyway. */
  async ping(): Promise<boolean> {
    await awsCall('dynamodb ping', () =>
      this.db.send(new GetItemCommand({ TableName: this.table, Key: marshall({ pk: 'PING', sk: 'PING' }) })),
    );
    return true;
  }

  /** The client belongs to whoever built it (`awsPorts` destroys it). */
  async close(): Promise<void> {}

  private async stateItem(jobId: string): Promise<StateItem | undefined> {
    const out = await awsCall(`dynamodb load ${jobId}`, () =>
      this.db.send(
        new GetItemCommand({
          TableName: this.table,
          Key: marshall({ pk: pkOf(jobId), sk: STATE_SK }),
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item ? (unmarshall(out.Item) as StateItem) : undefined;
  }

  private async stateOf(item: StateItem): Promise<JobState> {
    if (typeof item.state === 'string') return JSON.parse(item.state) as JobState;
    if (item.stateGz) return JSON.parse(gunzipSync(item.stateGz).toString('utf8')) as JobState;
    const state = foldEvents(await this.read(jobIdOf(item.pk)));
    if (!state) throw new DeltaError('INVALID_STREAM', `job ${jobIdOf(item.pk)} has a projection but no events`);
    return state;
  }
}

/** The projection as an attribute that fits DynamoDB's 400 KB item limit: inline, gzipped, or not at all. */
const encodeState = (state: JobState): Item => {
  const json = JSON.stringify(state);
  if (Buffer.byteLength(json) <= STATE_INLINE_BYTES) return { state: { S: json } };
  const gz = gzipSync(json);
  return gz.length <= STATE_GZIP_BYTES ? { stateGz: { B: gz } } : {};
};

/** Status, tag and (for scans) projection-item and date filters; fills `names` and `values`. */
const projectionFilter = (
  query: JobQuery,
  names: Record<string, string>,
  values: Record<string, unknown>,
  scan: boolean,
): string | undefined => {
  const terms: string[] = [];
  if (scan) {
    terms.push('sk = :state');
    values[':state'] = STATE_SK;
    if (query.createdAfter) {
      names['#createdAt'] = 'createdAt';
      values[':after'] = query.createdAfter;
      terms.push('#createdAt >= :after');
    }
    if (query.createdBefore) {
      names['#createdAt'] = 'createdAt';
      values[':before'] = query.createdBefore;
      terms.push('#createdAt < :before');
    }
  }
  if (query.status) {
    names['#status'] = 'status';
    values[':status'] = query.status;
    terms.push('#status = :status');
  }
  if (query.tag) {
    names['#tags'] = 'tags';
    values[':tag'] = query.tag;
    terms.push('contains(#tags, :tag)');
  }
  return terms.length > 0 ? terms.join(' AND ') : undefined;
};

const CONFLICT_REASONS = new Set(['ConditionalCheckFailed', 'TransactionConflict']);
const THROTTLE_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** A cancelled transaction whose reasons include a failed condition is a concurrency conflict; throttling is transient. */
const appendError = (error: unknown, jobId: string, expectedVersion: number): DeltaError => {
  const name = errorName(error);
  if (name === 'ConditionalCheckFailedException') return new ConcurrencyError(jobId, expectedVersion, { cause: error });
  if (name === 'TransactionCanceledException') {
    const reasons = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map(
      (r) => r.Code ?? 'None',
    );
    const message = (error as Error).message;
    if (
      reasons.some((code) => CONFLICT_REASONS.has(code)) ||
      (reasons.length === 0 && /ConditionalCheckFailed/.test(message))
    ) {
      return new ConcurrencyError(jobId, expectedVersion, { cause: error });
    }
    if (reasons.some((code) => THROTTLE_REASONS.has(code))) {
      return new TransientError(`dynamodb append ${jobId} throttled: ${message}`, { cause: error });
    }
  }
  return toSharedError(error, `dynamodb append ${jobId}`);
};
