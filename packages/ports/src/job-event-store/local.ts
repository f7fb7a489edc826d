import type { JobEvent, JobEventBody } from '@delta-augment/core';
import {
  type Clock,
  ConcurrencyError,
  DeltaError,
  evolve,
  type JobState,
  systemClock,
  TransientError,
} from '@delta-augment/core';
import type Database from 'better-sqlite3';
import { openDatabase, statementCache } from '../sqlite.js';
import { decodeCursor, encodeCursor, type JobEventStore, type JobPage, type JobQuery } from './port.js';

interface EventRow {
  job_id: string;
  seq: number;
  type: string;
  at: string;
  data: string;
}

/** SQLite event store: primary key (job, seq) enforces optimistic concurrency; a projection table is updated in the same transaction. */
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
      CREATE TABLE IF NOT EXISTS jobs (
        job_id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL, version INTEGER NOT NULL, state TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS jobs_by_owner ON jobs (owner, created_at DESC, job_id DESC);
      CREATE INDEX IF NOT EXISTS jobs_by_expiry ON jobs (expires_at);
      CREATE TABLE IF NOT EXISTS job_tags (job_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (tag, job_id));
    `);
  }

  async append(jobId: string, expectedVersion: number, events: readonly JobEventBody[]): Promise<JobEvent[]> {
    if (events.length === 0) return [];
    const at = new Date(this.clock.now()).toISOString();
    const run = this.db.transaction(() => {
      const row = this.sql('SELECT version, state FROM jobs WHERE job_id = ?').get(jobId) as
        | { version: number; state: string }
        | undefined;
      const version = row?.version ?? 0;
      if (version !== expectedVersion) throw new ConcurrencyError(jobId, expectedVersion);
      let state = row ? (JSON.parse(row.state) as JobState) : undefined;
      const stored: JobEvent[] = events.map((body, i) => ({ ...body, jobId, seq: version + i + 1, at }) as JobEvent);
      const insert = this.sql('INSERT INTO events (job_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)');
      for (const event of stored) {
        state = evolve(state, event);
        insert.run(jobId, event.seq, event.type, at, JSON.stringify(event.data));
      }
      if (!state) throw new DeltaError('INVALID_STREAM', `job ${jobId} has no JobCreated event`);
      this.sql(
        `INSERT INTO jobs (job_id, owner, status, created_at, expires_at, version, state) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (job_id) DO UPDATE SET status = excluded.status, version = excluded.version, state = excluded.state`,
      ).run(jobId, state.owner, state.status, state.createdAt, state.expiresAt, state.version, JSON.stringify(state));
      if (!row) {
        const tag = this.sql('INSERT OR IGNORE INTO job_tags (job_id, tag) VALUES (?, ?)');
        for (const t of state.tags) tag.run(jobId, t);
      }
      return stored;
    });
    try {
      return run.immediate();
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : '';
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

  async read(jobId: string, afterSeq = 0): Promise<JobEvent[]> {
    const rows = this.sql(
      'SELECT job_id, seq, type, at, data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq',
    ).all(jobId, afterSeq) as EventRow[];
    return rows.map(
      (r) => ({ jobId: r.job_id, seq: r.seq, type: r.type, at: r.at, data: JSON.parse(r.data) }) as JobEvent,
    );
  }

  async load(jobId: string): Promise<JobState | undefined> {
    const row = this.sql('SELECT state FROM jobs WHERE job_id = ?').get(jobId) as { state: string } | undefined;
    return row ? (JSON.parse(row.state) as JobState) : undefined;
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
    const sql = `SELECT j.state FROM jobs j ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY j.created_at DESC, j.job_id DESC LIMIT ?`;
    const rows = this.sql(sql).all(...params, limit + 1) as { state: string }[];
    const items = rows.slice(0, limit).map((r) => JSON.parse(r.state) as JobState);
    const last = items.at(-1);
    return { items, cursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : undefined };
  }

  async expired(now: string, limit: number): Promise<string[]> {
    const rows = this.sql('SELECT job_id FROM jobs WHERE expires_at < ? LIMIT ?').all(now, limit) as {
      job_id: string;
    }[];
    return rows.map((r) => r.job_id);
  }

  async delete(jobId: string): Promise<void> {
    this.db.transaction(() => {
      this.sql('DELETE FROM events WHERE job_id = ?').run(jobId);
      this.sql('DELETE FROM jobs WHERE job_id = ?').run(jobId);
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
