import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  addCounts,
  type Clock,
  ConcurrencyError,
  countsDelta,
  DeltaError,
  EMPTY_COUNTS,
  evolveJob,
  evolveSource,
  isSourceEvent,
  type JobEvent,
  type JobEventBody,
  type JobState,
  type SourceEventBody,
  type SourceState,
  sourcesNamedBy,
  statusOf,
  systemClock,
  TransientError,
} from '@delta-augment/core';
import { awsCall, errorName, sleep, toSharedError } from '../aws-errors.js';
import { KeyedSerial } from './keyed-serial.js';
import {
  type Appended,
  decodeCursor,
  encodeCursor,
  type JobEventStore,
  type JobPage,
  type JobQuery,
  PartialAppendError,
  type SourcePage,
} from './port.js';

/**
 * Table layout (one table, created by infra):
 * - key: `pk` (S, partition) = `JOB#<jobId>`, `sk` (S, sort)
 * - events: `sk` = `EVT#<seq, 10 digits>`, attributes `seq` (N), `type`, `at`, `data` (JSON), `expiresAt` (N)
 * - job record: `sk` = `STATE`, attributes `owner`, `status`, `createdAt`, `updatedAt`, `expiresAt` (N, epoch
 *   seconds: the TTL attribute), `expiresIso`, `seq` (N: the last seq), `sourceCount`, the counters
 *   `uploaded`, `started`, `settled`, `failed`, `variants` (N), `outcome`, `archive` (JSON), `failure`,
 *   `tags` (L of S) and `header` (JSON: pipeline, variants per source, tags). Small whatever the job's size.
 * - source records: `sk` = `SRC#<sourceId>`, attributes `version` (N), `state` (JSON of the source), `expiresAt`.
 *   Small too: the variant indices are a bitmap.
 * - GSI `byOwner`: partition `owner` (S), sort `createdAt` (S), projection INCLUDE of `OWNER_INDEX_ATTRIBUTES`:
 *   what a job list reads (the job record minus its TTL number). Only job records carry `owner`.
 */
export const DYNAMO_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ownerIndex: { name: 'byOwner', partitionKey: 'owner', sortKey: 'createdAt' },
  ttlAttribute: 'expiresAt',
} as const;

const STATE_SK = 'STATE';
const MAX_TRANSACTION_ITEMS = 100;
const BATCH_WRITE_ATTEMPTS = 8;
/** Retries of a source append whose only failure was the job record's seq moving on (another source's append). */
const SEQ_ATTEMPTS = 50;

const pkOf = (jobId: string): string => `JOB#${jobId}`;
const eventSk = (seq: number): string => `EVT#${String(seq).padStart(10, '0')}`;
const sourceSk = (sourceId: string): string => `SRC#${sourceId}`;
const jobIdOf = (pk: string): string => pk.slice('JOB#'.length);
const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

type Item = Record<string, AttributeValue>;

/** The job record as stored. */
interface StateItem {
  pk: string;
  owner: string;
  createdAt: string;
  updatedAt: string;
  expiresIso: string;
  seq: number;
  sourceCount: number;
  uploaded: number;
  started: number;
  settled: number;
  failed: number;
  variants: number;
  bytes?: number;
  outcome?: 'completed' | 'failed';
  archive?: string;
  failure?: string;
  header: string;
}

interface JobHeader {
  pipeline: JobState['pipeline'];
  variantsPerSource: number;
  tags: readonly string[];
  outputs: number;
  dataset?: JobState['dataset'];
  datasetUpload?: JobState['datasetUpload'];
  datasetExpanded?: boolean;
  /** Sources of a dataset expansion recorded so far (see `JobState.expandedSources`). */
  expandedSources?: number;
}

/**
 * The non-key attributes the `byOwner` index projects (INCLUDE): exactly what `query` filters on
 * (`status`, `tags`) and what `jobOf` reads; the keys `pk`, `sk`, `owner` and `createdAt` are
 * projected anyway. The type below fails to compile when `StateItem` gains a field that is not listed.
 */
export const OWNER_INDEX_ATTRIBUTES = [
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
] as const;
type Unprojected = Exclude<keyof StateItem, (typeof OWNER_INDEX_ATTRIBUTES)[number] | 'pk' | 'owner' | 'createdAt'>;
const everyListedFieldProjected: [Unprojected] extends [never] ? true : Unprojected = true;
void everyListedFieldProjected;

const jobOf = (item: StateItem): JobState => {
  const header = JSON.parse(item.header) as JobHeader;
  const base = {
    id: jobIdOf(item.pk),
    version: item.seq,
    owner: item.owner,
    pipeline: header.pipeline,
    variantsPerSource: header.variantsPerSource,
    tags: header.tags,
    outputs: header.outputs,
    ...(header.dataset ? { dataset: header.dataset } : {}),
    ...(header.datasetUpload ? { datasetUpload: header.datasetUpload } : {}),
    ...(header.datasetExpanded ? { datasetExpanded: true } : {}),
    ...(header.expandedSources ? { expandedSources: header.expandedSources } : {}),
    sourceCount: item.sourceCount,
    counts: {
      uploaded: item.uploaded,
      started: item.started,
      settled: item.settled,
      failed: item.failed,
      variants: item.variants,
      bytes: item.bytes ?? 0,
    },
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    expiresAt: item.expiresIso,
    ...(item.outcome ? { outcome: item.outcome } : {}),
    ...(item.archive ? { archive: JSON.parse(item.archive) as JobState['archive'] } : {}),
    ...(item.failure !== undefined ? { failure: item.failure } : {}),
  };
  return { ...base, status: statusOf(base) };
};

const jobItem = (job: JobState): Item =>
  marshall(
    {
      pk: pkOf(job.id),
      sk: STATE_SK,
      owner: job.owner,
      status: job.status,
      createdAt: job.createdAt,
      updatedAt: job.updatedAt,
      expiresAt: epochSeconds(job.expiresAt),
      expiresIso: job.expiresAt,
      seq: job.version,
      sourceCount: job.sourceCount,
      ...job.counts,
      outcome: job.outcome,
      archive: job.archive ? JSON.stringify(job.archive) : undefined,
      failure: job.failure,
      tags: [...job.tags],
      header: JSON.stringify({
        pipeline: job.pipeline,
        variantsPerSource: job.variantsPerSource,
        tags: job.tags,
        outputs: job.outputs,
        ...(job.dataset ? { dataset: job.dataset } : {}),
        ...(job.datasetUpload ? { datasetUpload: job.datasetUpload } : {}),
        ...(job.datasetExpanded ? { datasetExpanded: true } : {}),
        ...(job.expandedSources ? { expandedSources: job.expandedSources } : {}),
      }),
    },
    { removeUndefinedValues: true },
  );

const eventItem = (event: JobEvent, expiresAt: number): Item =>
  marshall({
    pk: pkOf(event.jobId),
    sk: eventSk(event.seq),
    seq: event.seq,
    type: event.type,
    at: event.at,
    data: JSON.stringify(event.data),
    expiresAt,
  });

const sourceItem = (jobId: string, source: SourceState, expiresAt: number): Item =>
  marshall({
    pk: pkOf(jobId),
    sk: sourceSk(source.sourceId),
    version: source.version,
    state: JSON.stringify(source),
    expiresAt,
  });

export interface DynamoDbJobEventStoreOptions {
  /** GSI over (owner, createdAt); default `byOwner`. */
  readonly ownerIndex?: string;
}

/**
 * DynamoDB event store: the stream as one item per event, a small job record and one record per source.
 *
 * A source append is one TransactWriteItems: the events (`attribute_not_exists`), the source record
 * (conditioned on its version: a real conflict, re-decided by the caller) and an update of the job record
 * that ADDs the counters and moves `seq` on, conditioned on the seq it read. That last condition is what
 * keeps `seq` gap-free even if a writer dies half-way: the transaction is all or nothing, so a seq is taken
 * exactly when its event is written. Two sources of a job appending at once contend only on that tiny item:
 * the loser re-reads the job record (one small read) and retries at once without deciding again, since its
 * source's decision still holds. Such retries are counted in `seqRetries`. Within one process the appends
 * of a job are queued (KeyedSerial), so they never race each other: only writers in other processes (other
 * Lambdas of the same job) can cost a retry, and every retry is a transaction billed again.
 */
export class DynamoDbJobEventStore implements JobEventStore {
  private readonly ownerIndex: string;
  /** Source appends retried because another source's append took the next seq first. */
  seqRetries = 0;
  /** This process's appends, queued per job: they never race each other for the job's seq. */
  private readonly perJob = new KeyedSerial();

  constructor(
    private readonly db: DynamoDBClient,
    private readonly table: string,
    private readonly clock: Clock = systemClock,
    options: DynamoDbJobEventStoreOptions = {},
  ) {
    this.ownerIndex = options.ownerIndex ?? DYNAMO_TABLE_SCHEMA.ownerIndex.name;
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  async appendToJob(jobId: string, expectedVersion: number, bodies: readonly JobEventBody[]): Promise<Appended> {
    if (bodies.length === 0) throw new DeltaError('EMPTY_APPEND', 'an append needs at least one event');
    return expectedVersion === 0
      ? this.create(jobId, bodies)
      : this.perJob.run(jobId, () => this.appendJobEvents(jobId, expectedVersion, bodies));
  }

  /**
   * A new job: its events and source records are batch-written first, the job record last with
   * `attribute_not_exists`. Until that record exists the job is invisible (load answers undefined), so a
   * creation that dies half-way leaves only unreachable items, which their TTL removes.
   */
  private async create(jobId: string, bodies: readonly JobEventBody[]): Promise<Appended> {
    if (await this.stateItem(jobId)) throw new ConcurrencyError(jobId, 0);
    const at = this.now();
    const events = bodies.map((body, i) => ({ ...body, jobId, seq: i + 1, at }) as JobEvent);
    let job: JobState | undefined;
    const sources = new Map<string, SourceState>();
    for (const event of events) {
      job = evolveJob(job, event);
      for (const source of sourcesNamedBy(event)) sources.set(source.sourceId, source);
      if (isSourceEvent(event)) {
        const source = sources.get(event.data.sourceId);
        if (!source) throw new DeltaError('UNKNOWN_SOURCE', `job ${jobId} has no source ${event.data.sourceId}`);
        sources.set(source.sourceId, evolveSource(source, event));
      }
    }
    if (!job) throw new DeltaError('INVALID_STREAM', `job ${jobId} has no JobCreated event`);
    const expiresAt = epochSeconds(job.expiresAt);
    const puts: WriteRequest[] = [
      ...events.map((event) => ({ PutRequest: { Item: eventItem(event, expiresAt) } })),
      ...[...sources.values()].map((source) => ({ PutRequest: { Item: sourceItem(jobId, source, expiresAt) } })),
    ];
    for (let i = 0; i < puts.length; i += 25) await this.batchWrite(puts.slice(i, i + 25), 'create');
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: jobItem(job),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      throw appendError(error, jobId, 0);
    }
    return { events, job };
  }

  /**
   * Job-level events (a dataset expansion, the archive, the outcome), in parts of at most 100 items: each part
   * is one transaction of its events (`attribute_not_exists`), the records of the sources its `SourcesAdded`
   * name (`attribute_not_exists`, folded with the source events that follow them in the same step) and the
   * whole small job record, conditioned on the seq the previous part left. A part cut short stores nothing,
   * so the stream is always a prefix of whole steps and the job record its fold: a redelivered expansion
   * reads `expandedSources` from it and decides only the steps still missing.
   */
  private async appendJobEvents(
    jobId: string,
    expectedVersion: number,
    bodies: readonly JobEventBody[],
  ): Promise<Appended> {
    const parts = transactionParts(bodies);
    const current = await this.stateItem(jobId);
    if (!current || current.seq !== expectedVersion) throw new ConcurrencyError(jobId, expectedVersion);
    let job = jobOf(current);
    const committed: JobEvent[] = [];
    for (const part of parts) {
      const version = job.version;
      const at = this.now();
      const events = part.map((body, i) => ({ ...body, jobId, seq: version + i + 1, at }) as JobEvent);
      const sources = new Map<string, SourceState>();
      for (const event of events) {
        job = evolveJob(job, event);
        for (const source of sourcesNamedBy(event)) sources.set(source.sourceId, source);
        if (isSourceEvent(event)) {
          const source = sources.get(event.data.sourceId);
          if (!source)
            throw new DeltaError('INVALID_APPEND', `a job-level append names no source ${event.data.sourceId}`);
          sources.set(source.sourceId, evolveSource(source, event));
        }
      }
      const expiresAt = epochSeconds(job.expiresAt);
      const absent = { ConditionExpression: 'attribute_not_exists(pk)' };
      const items: TransactWriteItem[] = [
        ...events.map((event) => ({ Put: { TableName: this.table, Item: eventItem(event, expiresAt), ...absent } })),
        ...[...sources.values()].map((source) => ({
          Put: { TableName: this.table, Item: sourceItem(jobId, source, expiresAt), ...absent },
        })),
        {
          Put: {
            TableName: this.table,
            Item: jobItem(job),
            ConditionExpression: '#seq = :expected',
            ExpressionAttributeNames: { '#seq': 'seq' },
            ExpressionAttributeValues: { ':expected': { N: String(version) } },
          },
        },
      ];
      try {
        await this.db.send(new TransactWriteItemsCommand({ TransactItems: items }));
      } catch (error) {
        const failure = appendError(error, jobId, version);
        throw committed.length > 0 ? new PartialAppendError(committed, failure) : failure;
      }
      committed.push(...events);
    }
    return { events: committed, job };
  }

  async appendToSource(
    jobId: string,
    sourceId: string,
    expectedVersion: number,
    bodies: readonly SourceEventBody[],
  ): Promise<Appended & { source: SourceState }> {
    if (bodies.length === 0) throw new DeltaError('EMPTY_APPEND', 'an append needs at least one event');
    if (bodies.length + 2 > MAX_TRANSACTION_ITEMS || bodies.some((b) => b.data.sourceId !== sourceId)) {
      throw new DeltaError('INVALID_APPEND', `a source append holds at most 98 events, all of source ${sourceId}`);
    }
    const current = await this.sourceRecord(jobId, sourceId);
    if (!current) throw new DeltaError('UNKNOWN_SOURCE', `job ${jobId} has no source ${sourceId}`);
    if (current.version !== expectedVersion) throw new ConcurrencyError(jobId, expectedVersion);
    const source = bodies.reduce(evolveSource, current);
    const delta = bodies.map(countsDelta).reduce(addCounts, EMPTY_COUNTS);
    const reopens = bodies.some((b) => b.type === 'SourceRedriven');
    return this.perJob.run(jobId, () => this.takeSeqs(jobId, expectedVersion, bodies, source, delta, reopens));
  }

  /**
   * Writes a source's decided events at the job's next seqs: the transaction described on the class,
   * retried with the seq re-read when another writer (another process) took it first.
   */
  private async takeSeqs(
    jobId: string,
    expectedVersion: number,
    bodies: readonly SourceEventBody[],
    source: SourceState,
    delta: JobState['counts'],
    reopens: boolean,
  ): Promise<Appended & { source: SourceState }> {
    for (let attempt = 1; ; attempt++) {
      const read = await this.stateItem(jobId);
      if (!read) throw new DeltaError('UNKNOWN_SOURCE', `job ${jobId} does not exist`);
      const at = this.now();
      const events = bodies.map((body, i) => ({ ...body, jobId, seq: read.seq + i + 1, at }) as JobEvent);
      const job = events.reduce<JobState>(evolveJob, jobOf(read));
      const expiresAt = epochSeconds(job.expiresAt);
      const reopen = reopens ? ' REMOVE #outcome, #archive, #failure' : '';
      const items: TransactWriteItem[] = [
        {
          Update: {
            TableName: this.table,
            Key: marshall({ pk: pkOf(jobId), sk: STATE_SK }),
            UpdateExpression: `SET #seq = :seq, #status = :status, updatedAt = :at${reopen} ADD uploaded :u, started :s, settled :t, failed :f, variants :v, #bytes :b`,
            ConditionExpression: '#seq = :read',
            ExpressionAttributeNames: {
              '#seq': 'seq',
              '#status': 'status',
              '#bytes': 'bytes',
              ...(reopens ? { '#outcome': 'outcome', '#archive': 'archive', '#failure': 'failure' } : {}),
            },
            ExpressionAttributeValues: marshall({
              ':seq': job.version,
              ':read': read.seq,
              ':status': job.status,
              ':at': at,
              ':u': delta.uploaded,
              ':s': delta.started,
              ':t': delta.settled,
              ':f': delta.failed,
              ':v': delta.variants,
              ':b': delta.bytes,
            }),
          },
        },
        {
          Put: {
            TableName: this.table,
            Item: sourceItem(jobId, source, expiresAt),
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } },
          },
        },
        ...events.map((event) => ({
          Put: {
            TableName: this.table,
            Item: eventItem(event, expiresAt),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        })),
      ];
      try {
        await this.db.send(new TransactWriteItemsCommand({ TransactItems: items }));
        return { events, job, source };
      } catch (error) {
        const failed = cancelledItems(error);
        const onlySeq = failed !== undefined && failed.length > 0 && !failed.includes(1);
        if (!onlySeq || attempt >= SEQ_ATTEMPTS) throw appendError(error, jobId, expectedVersion);
        // Another source of this job took the next seq first: the decision stands, only the seq moves.
        this.seqRetries++;
        if (attempt > 3) await sleep(Math.random() * Math.min(100, attempt * 5));
      }
    }
  }

  /** The job's events after `afterSeq` in seq order, at most `limit`. */
  async read(jobId: string, afterSeq = 0, limit = Number.POSITIVE_INFINITY): Promise<JobEvent[]> {
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
            Limit: Number.isFinite(limit) ? Math.min(1000, limit - events.length) : undefined,
          }),
        ),
      );
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw) as { seq: number; type: string; at: string; data: string };
        events.push({ jobId, seq: item.seq, type: item.type, at: item.at, data: JSON.parse(item.data) } as JobEvent);
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey && events.length < limit);
    return events;
  }

  async load(jobId: string): Promise<JobState | undefined> {
    const item = await this.stateItem(jobId);
    return item ? jobOf(item) : undefined;
  }

  private async sourceRecord(jobId: string, sourceId: string): Promise<SourceState | undefined> {
    const out = await awsCall(`dynamodb load source ${jobId}`, () =>
      this.db.send(
        new GetItemCommand({
          TableName: this.table,
          Key: marshall({ pk: pkOf(jobId), sk: sourceSk(sourceId) }),
          ConsistentRead: true,
        }),
      ),
    );
    return out.Item ? (JSON.parse((unmarshall(out.Item) as { state: string }).state) as SourceState) : undefined;
  }

  loadSource(jobId: string, sourceId: string): Promise<SourceState | undefined> {
    return this.sourceRecord(jobId, sourceId);
  }

  /** Sources in id order (the sort key), by page. */
  async sources(jobId: string, page: { limit?: number; cursor?: string } = {}): Promise<SourcePage> {
    const limit = Math.min(Math.max(page.limit ?? 100, 1), 1000);
    const after = page.cursor ? Buffer.from(page.cursor, 'base64url').toString('utf8') : undefined;
    const items: SourceState[] = [];
    let ExclusiveStartKey: Item | undefined = after ? marshall({ pk: pkOf(jobId), sk: sourceSk(after) }) : undefined;
    let more = false;
    do {
      const out = await awsCall(`dynamodb sources ${jobId}`, () =>
        this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :src)',
            ExpressionAttributeValues: marshall({ ':pk': pkOf(jobId), ':src': 'SRC#' }),
            ConsistentRead: true,
            Limit: limit + 1 - items.length,
            ExclusiveStartKey,
          }),
        ),
      );
      for (const raw of out.Items ?? []) {
        if (items.length === limit) {
          more = true;
          break;
        }
        items.push(JSON.parse((unmarshall(raw) as { state: string }).state) as SourceState);
      }
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey && !more);
    const last = items.at(-1);
    return { items, cursor: more && last ? Buffer.from(last.sourceId).toString('base64url') : undefined };
  }

  /** With an owner: the `byOwner` index, newest first. Without (admin): a filtered table scan, sorted here. */
  async query(query: JobQuery): Promise<JobPage> {
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const items =
      query.owner === undefined
        ? await this.scanJobs(query, limit, after)
        : await this.queryOwner(query.owner, query, limit, after);
    const page = items.slice(0, limit).map(jobOf);
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
      if (item.expiresIso < now) ids.push(jobIdOf(item.pk));
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
    // The job record first: once it is gone the job is invisible, whatever remains to delete.
    const ordered = [...keys.filter((k) => k.sk?.S === STATE_SK), ...keys.filter((k) => k.sk?.S !== STATE_SK)];
    for (let i = 0; i < ordered.length; i += 25) {
      await this.batchWrite(
        ordered.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })),
        'delete',
      );
    }
  }

  private async batchWrite(batch: WriteRequest[], what: string): Promise<void> {
    let requests = batch;
    for (let attempt = 1; requests.length > 0; attempt++) {
      const current = requests;
      const out = await awsCall(`dynamodb batch ${what}`, () =>
        this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: current } })),
      );
      requests = out.UnprocessedItems?.[this.table] ?? [];
      if (requests.length > 0 && attempt >= BATCH_WRITE_ATTEMPTS) {
        throw new TransientError(`dynamodb batch ${what} left ${requests.length} items unprocessed`);
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
}

/**
 * A job-level append cut into transactions: steps (a job-level event and the source events after it, which
 * must be of sources that step names) packed in order, each transaction holding whole steps and at most
 * `MAX_TRANSACTION_ITEMS` items (events, the source records they create, the job record).
 */
const transactionParts = (bodies: readonly JobEventBody[]): JobEventBody[][] => {
  const steps: JobEventBody[][] = [];
  for (const body of bodies) {
    const step = steps.at(-1);
    if (isSourceEvent(body) && step) step.push(body);
    else if (isSourceEvent(body)) throw new DeltaError('INVALID_APPEND', 'a job-level append starts with a job event');
    else steps.push([body]);
  }
  for (const step of steps) {
    const named = new Set(
      step.flatMap((b) => (b.type === 'SourcesAdded' ? b.data.sources.map((r) => r.sourceId) : [])),
    );
    const stray = step.find((b) => isSourceEvent(b) && !named.has(b.data.sourceId));
    if (stray && isSourceEvent(stray))
      throw new DeltaError('INVALID_APPEND', `a job-level append names no source ${stray.data.sourceId} in its step`);
  }
  const itemsOf = (step: readonly JobEventBody[]) =>
    step.length + step.reduce((n, b) => n + (b.type === 'SourcesAdded' ? b.data.sources.length : 0), 0);
  const parts: JobEventBody[][] = [];
  let size = Number.POSITIVE_INFINITY;
  for (const step of steps) {
    const items = itemsOf(step);
    if (items + 1 > MAX_TRANSACTION_ITEMS) {
      throw new DeltaError('INVALID_APPEND', `a step of a job-level append holds ${items} items, over 99`);
    }
    if (size + items + 1 > MAX_TRANSACTION_ITEMS) {
      parts.push([...step]);
      size = items;
    } else {
      parts.at(-1)?.push(...step);
      size += items;
    }
  }
  return parts;
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

/** Indices of the items a cancelled transaction names as failed; undefined when it was not a cancellation. */
const cancelledItems = (error: unknown): number[] | undefined => {
  if (errorName(error) !== 'TransactionCanceledException') return undefined;
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.flatMap((r, i) => (r.Code && r.Code !== 'None' ? [i] : []));
};
