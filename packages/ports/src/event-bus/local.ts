import type { JobEvent } from '@delta-augment/core';
import { type Clock, systemClock } from '@delta-augment/core';
import type Database from 'better-sqlite3';
import { openDatabase, statementCache } from '../sqlite.js';
import type { EventBus, JobEventListener } from './port.js';

const RETENTION_MS = 10 * 60_000;
/** Empty polls after which the tail slows to {@link IDLE_POLL_FACTOR} times its interval, until a row comes. */
const IDLE_AFTER_POLLS = 50;
const IDLE_POLL_FACTOR = 5;

/**
 * Local event bus shared by every process on the machine: publishers append to a SQLite table,
 * subscribers tail it. Rows older than ten minutes are pruned.
 */
export class SqliteEventBus implements EventBus {
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof statementCache>;
  private readonly listeners = new Set<JobEventListener>();
  private cursor = 0;
  /** Polls in a row that found nothing. */
  private emptyPolls = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    file: string,
    private readonly pollIntervalMs = 10,
    private readonly clock: Clock = systemClock,
  ) {
    this.db = openDatabase(file);
    this.sql = statementCache(this.db);
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS bus (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, event TEXT NOT NULL); CREATE INDEX IF NOT EXISTS bus_at ON bus (at);',
    );
  }

  async publish(events: readonly JobEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.clock.now();
    const insert = this.sql('INSERT INTO bus (at, event) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const event of events) insert.run(now, JSON.stringify(event));
      this.sql('DELETE FROM bus WHERE at < ?').run(now - RETENTION_MS);
    })();
    if (this.listeners.size > 0) this.poll();
  }

  subscribe(listener: JobEventListener): () => void {
    const first = this.listeners.size === 0;
    this.listeners.add(listener);
    if (first) {
      const row = this.sql('SELECT MAX(id) AS id FROM bus').get() as { id: number | null };
      this.cursor = row.id ?? 0;
      this.schedule();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) clearTimeout(this.timer);
    };
  }

  private schedule(): void {
    if (this.closed || this.listeners.size === 0) return;
    // A quiet bus is tailed five times less often (every 50 ms by default, after half a second of nothing),
    // so that an idle gateway costs few wake-ups; the first row found brings the full rate back.
    const idle = this.emptyPolls >= IDLE_AFTER_POLLS;
    this.timer = setTimeout(
      () => {
        this.poll();
        this.schedule();
      },
      idle ? this.pollIntervalMs * IDLE_POLL_FACTOR : this.pollIntervalMs,
    );
    this.timer.unref();
  }

  private poll(): void {
    if (this.closed) return;
    const rows = this.sql('SELECT id, event FROM bus WHERE id > ? ORDER BY id LIMIT 1000').all(this.cursor) as {
      id: number;
      event: string;
    }[];
    this.emptyPolls = rows.length === 0 ? this.emptyPolls + 1 : 0;
    for (const row of rows) {
      this.cursor = row.id;
      const event = JSON.parse(row.event) as JobEvent;
      for (const listener of this.listeners) listener(event);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.db.open) this.db.close();
  }
}
