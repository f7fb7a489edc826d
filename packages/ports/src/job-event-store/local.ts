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
  type JobCounts,
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
import type Database from 'better-sqlite3';
import { openDatabase, statementCache } from '../sqlite.js';
import {
  type Appended,
  decodeCursor,
  encodeCursor,
  type JobEventStore,
  type JobPage,
  type JobQuery,
  type SourcePage,
} from './port.js';

interface EventRow {
  job_id: string;
  seq: number;
  type: string;
  at: string;
  data: string;
}

interface JobRow {
  job_id: string;
  owner: string;
  created_at: string;
  updated_at: string;
  expires_at: string;
  seq: number;
  source_count: number;
  uploaded: number;
  started: number;
  settled: number;
  failed: number;
  variants: number;
  bytes: number;
  outcome: string | null;
  archive: string | null;
  failure: string | null;
  header: string;
}

/** The parts of a job that change only at its creation and when its uploaded dataset zip is expanded. */
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

const jobOf = (row: JobRow): JobState => {
  const header = JSON.parse(row.header) as JobHeader;
  const counts: JobCounts = {
    uploaded: row.uploaded,
    started: row.started,
    settled: row.settled,
    failed: row.failed,
    variants: row.variants,
    bytes: row.bytes,
  };
  const base = {
    id: row.job_id,
    version: row.seq,
    owner: row.owner,
    pipeline: header.pipeline,
    variantsPerSource: header.variantsPerSource,
    tags: header.tags,
    outputs: header.outputs,
    ...(header.dataset ? { dataset: header.dataset } : {}),
    ...(header.datasetUpload ? { datasetUpload: header.datasetUpload } : {}),
    ...(header.datasetExpanded ? { datasetExpanded: true } : {}),
    ...(header.expandedSources ? { expandedSources: header.expandedSources } : {}),
    sourceCount: row.source_count,
    counts,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    ...(row.outcome ? { outcome: row.outcome as 'completed' | 'failed' } : {}),
    ...(row.archive ? { archive: JSON.parse(row.archive) as JobState['archive'] } : {}),
    ...(row.failure !== null ? { failure: row.failure } : {}),
  };
  return { ...base, status: statusOf(base) };
};

const sqliteCode = (error: unknown): string => (error instanceof Error && 'code' in error ? String(error.code) : '');

const encodeOrd = (ord: number): string => Buffer.from(String(ord)).toString('base64url');
const decodeOrd = (cursor: string | undefined): number => {
  if (!cursor) return -1;
  const ord = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  return Number.isInteger(ord) ? ord : -1;
};

/**
 * SQLite event store. Tables: `events` (the stream, primary key job + seq), `jobs` (one small row per job:
 * its last seq and counters, changed by `UPDATE ... SET x = x + ?`), `sources` (one row per source: its
 * own state and version). Each append is one IMMEDIATE transaction: it takes the next seqs from the job
 * row's counter (gap-free, since the transaction is atomic), inserts the events and updates the two small
 * rows. Nothing on this path reads or writes anything that grows with the job.
 */
export class SqliteJobEventStore implements JobEventStore {
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(
    file: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.db = openDatabase(file);
    this.sql = statementCache(this.db);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        job_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS job_records (
        job_id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL, expires_at TEXT NOT NULL, seq INTEGER NOT NULL, source_count INTEGER NOT NULL,
        uploaded INTEGER NOT NULL DEFAULT 0, started INTEGER NOT NULL DEFAULT 0, settled INTEGER NOT NULL DEFAULT 0,
        failed INTEGER NOT NULL DEFAULT 0, variants INTEGER NOT NULL DEFAULT 0, bytes INTEGER NOT NULL DEFAULT 0,
        outcome TEXT, archive TEXT, failure TEXT, header TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS job_records_by_owner ON job_records (owner, created_at DESC, job_id DESC);
      CREATE INDEX IF NOT EXISTS job_records_by_expiry ON job_records (expires_at);
      CREATE TABLE IF NOT EXISTS sources (
        job_id TEXT NOT NULL, source_id TEXT NOT NULL, ord INTEGER NOT NULL, version INTEGER NOT NULL,
        state TEXT NOT NULL, PRIMARY KEY (job_id, source_id)) WITHOUT ROWID;
      CREATE UNIQUE INDEX IF NOT EXISTS sources_in_order ON sources (job_id, ord);
      CREATE TABLE IF NOT EXISTS job_tags (job_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (tag, job_id));
    `);
  }

  private jobRow(jobId: string): JobRow | undefined {
    return this.sql('SELECT * FROM job_records WHERE job_id = ?').get(jobId) as JobRow | undefined;
  }

  private insertEvents(events: readonly JobEvent[]): void {
    const insert = this.sql('INSERT INTO events (job_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)');
    for (const e of events) insert.run(e.jobId, e.seq, e.type, e.at, JSON.stringify(e.data));
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Runs an append transaction; maps SQLite's failures to the store's errors. */
  private run<T>(jobId: string, expectedVersion: number, body: () => T): T {
    try {
      return this.db.transaction(body).immediate();
    } catch (error) {
      const code = sqliteCode(error);
      if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ConcurrencyError(jobId, expectedVersion, { cause: error });
      // Locked by another process past the busy timeout, disk full, read-only or I/O error: it may pass.
      if (/^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR|CANTOPEN)/.test(code)) {
        throw new TransientError(`event store: append to job ${jobId} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  /**
   * Creation (`expectedVersion` 0: the job row must not exist) or a job-level append conditioned on the
   * job's last seq. The job row is small, so it is folded here; source events (the uploads a creation
   * records) go to their source rows.
   */
  async appendToJob(jobId: string, expectedVersion: number, bodies: readonly JobEventBody[]): Promise<Appended> {
    if (bodies.length === 0) throw new DeltaError('EMPTY_APPEND', 'an append needs at least one event');
    const at = this.now();
    return this.run(jobId, expectedVersion, () => {
      const row = this.jobRow(jobId);
      if ((row?.seq ?? 0) !== expectedVersion) throw new ConcurrencyError(jobId, expectedVersion);
      let job = row ? jobOf(row) : undefined;
      const events = bodies.map((body, i) => ({ ...body, jobId, seq: expectedVersion + i + 1, at }) as JobEvent);
      const sources = new Map<string, SourceState>();
      let ord = row ? this.sourceCount(jobId) : 0;
      const created: SourceState[] = [];
      for (const event of events) {
        job = evolveJob(job, event);
        for (const source of sourcesNamedBy(event)) {
          sources.set(source.sourceId, source);
          created.push(source);
        }
        if (isSourceEvent(event)) {
          const source = sources.get(event.data.sourceId) ?? this.loadSourceSync(jobId, event.data.sourceId);
          if (!source) throw new DeltaError('UNKNOWN_SOURCE', `job ${jobId} has no source ${event.data.sourceId}`);
          sources.set(source.sourceId, evolveSource(source, event));
        }
      }
      if (!job) throw new DeltaError('INVALID_STREAM', `job ${jobId} has no JobCreated event`);
      this.insertEvents(events);
      this.writeJob(job);
      const insertSource = this.sql(
        'INSERT INTO sources (job_id, source_id, ord, version, state) VALUES (?, ?, ?, ?, ?)',
      );
      const updateSource = this.sql('UPDATE sources SET version = ?, state = ? WHERE job_id = ? AND source_id = ?');
      const isNew = new Set(created.map((s) => s.sourceId));
      for (const source of created) {
        const state = sources.get(source.sourceId) ?? source;
        insertSource.run(jobId, source.sourceId, ord++, state.version, JSON.stringify(state));
      }
      for (const [id, state] of sources) {
        if (!isNew.has(id)) updateSource.run(state.version, JSON.stringify(state), jobId, id);
      }
      if (!row) {
        const tag = this.sql('INSERT OR IGNORE INTO job_tags (job_id, tag) VALUES (?, ?)');
        for (const t of job.tags) tag.run(jobId, t);
      }
      return { events, job };
    });
  }

  private writeJob(job: JobState): void {
    const { counts } = job;
    const header: JobHeader = {
      pipeline: job.pipeline,
      variantsPerSource: job.variantsPerSource,
      tags: job.tags,
      outputs: job.outputs,
      ...(job.dataset ? { dataset: job.dataset } : {}),
      ...(job.datasetUpload ? { datasetUpload: job.datasetUpload } : {}),
      ...(job.datasetExpanded ? { datasetExpanded: true } : {}),
      ...(job.expandedSources ? { expandedSources: job.expandedSources } : {}),
    };
    this.sql(
      `INSERT INTO job_records (job_id, owner, status, created_at, updated_at, expires_at, seq, source_count,
         uploaded, started, settled, failed, variants, bytes, outcome, archive, failure, header)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at,
         seq = excluded.seq, uploaded = excluded.uploaded, started = excluded.started, settled = excluded.settled,
         failed = excluded.failed, variants = excluded.variants, bytes = excluded.bytes, outcome = excluded.outcome,
         archive = excluded.archive, failure = excluded.failure, source_count = excluded.source_count,
         header = excluded.header`,
    ).run(
      job.id,
      job.owner,
      job.status,
      job.createdAt,
      job.updatedAt,
      job.expiresAt,
      job.version,
      job.sourceCount,
      counts.uploaded,
      counts.started,
      counts.settled,
      counts.failed,
      counts.variants,
      counts.bytes,
      job.outcome ?? null,
      job.archive ? JSON.stringify(job.archive) : null,
      job.failure ?? null,
      JSON.stringify(header),
    );
  }

  private sourceCount(jobId: string): number {
    return (this.sql('SELECT COUNT(*) AS n FROM sources WHERE job_id = ?').get(jobId) as { n: number }).n;
  }

  /**
   * One source's events: conditioned on that source's version only. The job row is changed by commutative
   * increments (its seq counter included), so appends of different sources never conflict.
   */
  async appendToSource(
    jobId: string,
    sourceId: string,
    expectedVersion: number,
    bodies: readonly SourceEventBody[],
  ): Promise<Appended & { source: SourceState }> {
    if (bodies.length === 0) throw new DeltaError('EMPTY_APPEND', 'an append needs at least one event');
    if (bodies.some((b) => b.data.sourceId !== sourceId)) {
      throw new DeltaError('INVALID_APPEND', `every event of this append must be of source ${sourceId}`);
    }
    const at = this.now();
    return this.run(jobId, expectedVersion, () => {
      const current = this.loadSourceSync(jobId, sourceId);
      if (!current) throw new DeltaError('UNKNOWN_SOURCE', `job ${jobId} has no source ${sourceId}`);
      if (current.version !== expectedVersion) throw new ConcurrencyError(jobId, expectedVersion);
      const delta = bodies.map(countsDelta).reduce(addCounts, EMPTY_COUNTS);
      const reopens = bodies.some((b) => b.type === 'SourceRedriven');
      const row = this.sql(
        `UPDATE job_records SET seq = seq + ?, uploaded = uploaded + ?, started = started + ?,
           settled = settled + ?, failed = failed + ?, variants = variants + ?, bytes = bytes + ?, updated_at = ?,
           outcome = CASE WHEN ? THEN NULL ELSE outcome END, archive = CASE WHEN ? THEN NULL ELSE archive END,
           failure = CASE WHEN ? THEN NULL ELSE failure END
         WHERE job_id = ? RETURNING *`,
      ).get(
        bodies.length,
        delta.uploaded,
        delta.started,
        delta.settled,
        delta.failed,
        delta.variants,
        delta.bytes,
        at,
        reopens ? 1 : 0,
        reopens ? 1 : 0,
        reopens ? 1 : 0,
        jobId,
      ) as JobRow | undefined;
      if (!row) throw new DeltaError('UNKNOWN_SOURCE', `job ${jobId} does not exist`);
      const job = jobOf(row);
      this.sql('UPDATE job_records SET status = ? WHERE job_id = ?').run(job.status, jobId);
      const first = row.seq - bodies.length + 1;
      const events = bodies.map((body, i) => ({ ...body, jobId, seq: first + i, at }) as JobEvent);
      this.insertEvents(events);
      const source = bodies.reduce(evolveSource, current);
      this.sql('UPDATE sources SET version = ?, state = ? WHERE job_id = ? AND source_id = ?').run(
        source.version,
        JSON.stringify(source),
        jobId,
        sourceId,
      );
      return { events, job, source };
    });
  }

  async read(jobId: string, afterSeq = 0, limit = -1): Promise<JobEvent[]> {
    const rows = this.sql(
      'SELECT job_id, seq, type, at, data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    ).all(jobId, afterSeq, limit) as EventRow[];
    return rows.map(
      (r) => ({ jobId: r.job_id, seq: r.seq, type: r.type, at: r.at, data: JSON.parse(r.data) }) as JobEvent,
    );
  }

  async load(jobId: string): Promise<JobState | undefined> {
    const row = this.jobRow(jobId);
    return row ? jobOf(row) : undefined;
  }

  private loadSourceSync(jobId: string, sourceId: string): SourceState | undefined {
    const row = this.sql('SELECT state FROM sources WHERE job_id = ? AND source_id = ?').get(jobId, sourceId) as
      | { state: string }
      | undefined;
    return row ? (JSON.parse(row.state) as SourceState) : undefined;
  }

  async loadSource(jobId: string, sourceId: string): Promise<SourceState | undefined> {
    return this.loadSourceSync(jobId, sourceId);
  }

  async sources(jobId: string, page: { limit?: number; cursor?: string } = {}): Promise<SourcePage> {
    const limit = Math.min(Math.max(page.limit ?? 100, 1), 1000);
    const rows = this.sql('SELECT ord, state FROM sources WHERE job_id = ? AND ord > ? ORDER BY ord LIMIT ?').all(
      jobId,
      decodeOrd(page.cursor),
      limit + 1,
    ) as { ord: number; state: string }[];
    const items = rows.slice(0, limit).map((r) => JSON.parse(r.state) as SourceState);
    const last = rows[limit - 1];
    return { items, cursor: rows.length > limit && last ? encodeOrd(last.ord) : undefined };
  }

  async query(query: JobQuery): Promise<JobPage> {
    const limit = Math.min(Math.max(query.limit ?? 20, 1), 100);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.owner !== undefined) where.push('j.owner = ?') && params.push(query.owner);
    if (query.status) where.push('j.status = ?') && params.push(query.status);
    if (query.tag) where.push('j.job_id IN (SELECT job_id FROM job_tags WHERE tag = ?)') && params.push(query.tag);
    if (query.createdAfter) where.push('j.created_at >= ?') && params.push(query.createdAfter);
    if (query.createdBefore) where.push('j.created_at < ?') && params.push(query.createdBefore);
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    if (after) where.push('(j.created_at, j.job_id) < (?, ?)') && params.push(after[0], after[1]);
    const sql = `SELECT j.* FROM job_records j ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY j.created_at DESC, j.job_id DESC LIMIT ?`;
    const rows = this.sql(sql).all(...params, limit + 1) as JobRow[];
    const items = rows.slice(0, limit).map(jobOf);
    const last = items.at(-1);
    return { items, cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : undefined };
  }

  async expired(now: string, limit: number): Promise<string[]> {
    const rows = this.sql('SELECT job_id FROM job_records WHERE expires_at < ? LIMIT ?').all(now, limit) as {
      job_id: string;
    }[];
    return rows.map((r) => r.job_id);
  }

  async delete(jobId: string): Promise<void> {
    this.db.transaction(() => {
      this.sql('DELETE FROM events WHERE job_id = ?').run(jobId);
      this.sql('DELETE FROM job_records WHERE job_id = ?').run(jobId);
      this.sql('DELETE FROM sources WHERE job_id = ?').run(jobId);
      this.sql('DELETE FROM job_tags WHERE job_id = ?').run(jobId);
    })();
  }

  async ping(): Promise<boolean> {
    return this.sql('SELECT 1 AS ok').get() !== undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
