import type Database from 'better-sqlite3';
import { openDatabase, statementCache } from '../sqlite.js';
import type { Webhook, WebhookAttempt, WebhookOutbox, WebhookStatus } from './port.js';

interface Row {
  job_id: string;
  url: string;
  secret: string;
  status: WebhookStatus;
  next_at: number;
  first_attempt_at: number | null;
  payload: string | null;
  attempts: string;
}

const webhookOf = (row: Row): Webhook => ({
  jobId: row.job_id,
  url: row.url,
  secret: row.secret,
  status: row.status,
  nextAt: row.next_at,
  firstAttemptAt: row.first_attempt_at ?? undefined,
  payload: row.payload ?? undefined,
  attempts: JSON.parse(row.attempts) as WebhookAttempt[],
});

/** Attempts kept per webhook (the first ones and the latest): a row never grows without bound. */
const MAX_ATTEMPTS_KEPT = 60;

/** The webhook outbox in a SQLite file (`DATA_DIR/webhooks.sqlite`), shared by the processes of the local stack. */
export class SqliteWebhookOutbox implements WebhookOutbox {
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof statementCache>;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.sql = statementCache(this.db);
    this.db.exec(`CREATE TABLE IF NOT EXISTS webhooks (
      job_id TEXT PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL, status TEXT NOT NULL,
      next_at INTEGER NOT NULL, first_attempt_at INTEGER, payload TEXT, attempts TEXT NOT NULL DEFAULT '[]'
    ); CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (status, next_at);`);
  }

  async register(webhook: { jobId: string; url: string; secret: string; nextAt: number }): Promise<void> {
    this.sql(
      "INSERT OR IGNORE INTO webhooks (job_id, url, secret, status, next_at) VALUES (?, ?, ?, 'waiting', ?)",
    ).run(webhook.jobId, webhook.url, webhook.secret, webhook.nextAt);
  }

  async get(jobId: string): Promise<Webhook | undefined> {
    const row = this.sql('SELECT * FROM webhooks WHERE job_id = ?').get(jobId) as Row | undefined;
    return row ? webhookOf(row) : undefined;
  }

  async due(now: number, limit: number): Promise<Webhook[]> {
    const rows = this.sql(
      "SELECT * FROM webhooks WHERE status IN ('waiting', 'pending') AND next_at <= ? ORDER BY next_at LIMIT ?",
    ).all(now, limit) as Row[];
    return rows.map(webhookOf);
  }

  async wait(jobId: string, nextAt: number): Promise<void> {
    this.sql("UPDATE webhooks SET next_at = ? WHERE job_id = ? AND status = 'waiting'").run(nextAt, jobId);
  }

  async record(
    jobId: string,
    attempt: WebhookAttempt,
    next: { status: WebhookStatus; nextAt: number; payload: string; firstAttemptAt: number },
  ): Promise<void> {
    this.db.transaction(() => {
      const row = this.sql('SELECT attempts FROM webhooks WHERE job_id = ?').get(jobId) as
        | { attempts: string }
        | undefined;
      if (!row) return;
      const attempts = [...(JSON.parse(row.attempts) as WebhookAttempt[]), attempt];
      if (attempts.length > MAX_ATTEMPTS_KEPT) attempts.splice(10, attempts.length - MAX_ATTEMPTS_KEPT);
      this.sql(
        'UPDATE webhooks SET status = ?, next_at = ?, payload = ?, first_attempt_at = ?, attempts = ? WHERE job_id = ?',
      ).run(next.status, next.nextAt, next.payload, next.firstAttemptAt, JSON.stringify(attempts), jobId);
    })();
  }

  async delete(jobId: string): Promise<void> {
    this.sql('DELETE FROM webhooks WHERE job_id = ?').run(jobId);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
