import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Clock, NotFoundError, ReceiptHandleError, systemClock } from '@delta-augment/core';
import type Database from 'better-sqlite3';
import { openDatabase, statementCache } from '../sqlite.js';
import type {
  PeekedMessage,
  QueueConfig,
  QueueMessage,
  QueueStats,
  ReceiveOptions,
  RedriveResult,
  WorkQueue,
} from './port.js';

interface MessageRow {
  id: string;
  body: string;
  sent_at: number;
  receive_count: number;
  first_receive_at: number | null;
}

/**
 * A long poll re-reads the table every 25 ms (other processes' sends cannot wake it), and every 250 ms once
 * the queue has been empty for half a second: an idle worker then costs a tenth of the wake-ups, and a new
 * message waits at most a quarter of a second. A send in this process wakes the poll at once either way.
 */
const POLL_INTERVAL_MS = 25;
const IDLE_POLL_INTERVAL_MS = 250;
const IDLE_AFTER_MS = 500;

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * SQLite work queue with SQS semantics. Several processes may share the file: every state change
 * is one IMMEDIATE transaction, so a message is handed to one receiver per visibility window.
 */
export class SqliteWorkQueue implements WorkQueue {
  private readonly db: Database.Database;
  private readonly sql: ReturnType<typeof statementCache>;
  private readonly sent = new EventEmitter();
  /** When each queue's receives started finding nothing (absent: the last one found a message). */
  private readonly emptySince = new Map<string, number>();

  constructor(
    file: string,
    private readonly config: Readonly<Record<string, QueueConfig>>,
    private readonly clock: Clock = systemClock,
  ) {
    this.db = openDatabase(file);
    this.sql = statementCache(this.db);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE, queue TEXT NOT NULL, body TEXT NOT NULL, sent_at INTEGER NOT NULL,
        visible_at INTEGER NOT NULL, receive_count INTEGER NOT NULL DEFAULT 0, first_receive_at INTEGER,
        receipt TEXT UNIQUE, source_queue TEXT);
      CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue, visible_at, seq);
    `);
    this.sent.setMaxListeners(0);
  }

  private configOf(queue: string): QueueConfig {
    const config = this.config[queue];
    if (!config) throw new NotFoundError(`queue ${queue}`);
    return config;
  }

  async queues(): Promise<string[]> {
    return Object.keys(this.config);
  }

  async send(queue: string, body: string, options: { delaySeconds?: number } = {}): Promise<{ messageId: string }> {
    this.configOf(queue);
    const messageId = randomUUID();
    const now = this.clock.now();
    this.sql('INSERT INTO messages (id, queue, body, sent_at, visible_at) VALUES (?, ?, ?, ?, ?)').run(
      messageId,
      queue,
      body,
      now,
      now + (options.delaySeconds ?? 0) * 1000,
    );
    this.sent.emit(queue);
    return { messageId };
  }

  async receive(queue: string, options: ReceiveOptions = {}): Promise<QueueMessage[]> {
    const config = this.configOf(queue);
    const max = Math.min(Math.max(options.maxMessages ?? 1, 1), 10);
    const deadline = this.clock.now() + Math.min(options.waitTimeSeconds ?? 0, 20) * 1000;
    const visibility = options.visibilityTimeoutSeconds ?? config.visibilityTimeoutSeconds;
    for (;;) {
      const messages = this.receiveNow(queue, config, max, visibility);
      if (messages.length > 0) this.emptySince.delete(queue);
      else if (!this.emptySince.has(queue)) this.emptySince.set(queue, this.clock.now());
      if (messages.length > 0 || options.signal?.aborted) return messages;
      const now = this.clock.now();
      const left = deadline - now;
      if (left <= 0) return [];
      const idle = now - (this.emptySince.get(queue) ?? now) >= IDLE_AFTER_MS;
      await this.waitForSend(queue, Math.min(left, idle ? IDLE_POLL_INTERVAL_MS : POLL_INTERVAL_MS), options.signal);
    }
  }

  private waitForSend(queue: string, ms: number, signal?: AbortSignal): Promise<void> {
    const wake = new AbortController();
    const onSend = () => wake.abort();
    this.sent.once(queue, onSend);
    const onAbort = () => wake.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    return sleep(ms, wake.signal).finally(() => {
      this.sent.off(queue, onSend);
      signal?.removeEventListener('abort', onAbort);
    });
  }

  private receiveNow(queue: string, config: QueueConfig, max: number, visibility: number): QueueMessage[] {
    return this.db
      .transaction(() => {
        const now = this.clock.now();
        this.sql('DELETE FROM messages WHERE queue = ? AND sent_at < ?').run(
          queue,
          now - config.retentionSeconds * 1000,
        );
        const out: QueueMessage[] = [];
        const select = this.sql(
          'SELECT id, body, sent_at, receive_count, first_receive_at FROM messages WHERE queue = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?',
        );
        const taken = new Set<string>();
        while (out.length < max) {
          const rows = (select.all(queue, now, max - out.length + taken.size) as MessageRow[]).filter(
            (r) => !taken.has(r.id),
          );
          if (rows.length === 0) break;
          for (const row of rows) {
            if (out.length >= max) break;
            taken.add(row.id);
            const dead = config.deadLetter;
            if (dead && row.receive_count >= dead.maxReceiveCount) {
              this.sql(
                'UPDATE messages SET queue = ?, source_queue = ?, visible_at = ?, receipt = NULL WHERE id = ?',
              ).run(dead.queue, queue, now, row.id);
              continue;
            }
            const receipt = `${row.id}:${randomUUID()}`;
            const count = row.receive_count + 1;
            const first = row.first_receive_at ?? now;
            this.sql(
              'UPDATE messages SET receive_count = ?, first_receive_at = ?, visible_at = ?, receipt = ? WHERE id = ?',
            ).run(count, first, now + visibility * 1000, receipt, row.id);
            out.push({
              messageId: row.id,
              receiptHandle: receipt,
              body: row.body,
              md5OfBody: createHash('md5').update(row.body).digest('hex'),
              attributes: {
                ApproximateReceiveCount: String(count),
                SentTimestamp: String(row.sent_at),
                ApproximateFirstReceiveTimestamp: String(first),
              },
            });
          }
        }
        return out;
      })
      .immediate();
  }

  async changeVisibility(queue: string, receiptHandle: string, timeoutSeconds: number): Promise<void> {
    this.configOf(queue);
    const result = this.sql('UPDATE messages SET visible_at = ? WHERE queue = ? AND receipt = ?').run(
      this.clock.now() + timeoutSeconds * 1000,
      queue,
      receiptHandle,
    );
    if (result.changes === 0) {
      throw new ReceiptHandleError(`receipt handle is not current for a message in queue ${queue}`);
    }
    if (timeoutSeconds === 0) this.sent.emit(queue);
  }

  async delete(queue: string, receiptHandle: string): Promise<void> {
    this.configOf(queue);
    this.sql('DELETE FROM messages WHERE queue = ? AND receipt = ?').run(queue, receiptHandle);
  }

  async stats(queue: string): Promise<QueueStats> {
    const config = this.configOf(queue);
    const now = this.clock.now();
    const row = this.sql(
      `SELECT
           SUM(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END) AS visible,
           SUM(CASE WHEN visible_at > ? AND receipt IS NOT NULL THEN 1 ELSE 0 END) AS in_flight,
           SUM(CASE WHEN visible_at > ? AND receipt IS NULL THEN 1 ELSE 0 END) AS delayed,
           MIN(sent_at) AS oldest
         FROM messages WHERE queue = ?`,
    ).get(now, now, now, queue) as {
      visible: number | null;
      in_flight: number | null;
      delayed: number | null;
      oldest: number | null;
    };
    return {
      name: queue,
      visible: row.visible ?? 0,
      inFlight: row.in_flight ?? 0,
      delayed: row.delayed ?? 0,
      oldestAgeSeconds: row.oldest === null ? 0 : Math.max(0, Math.floor((now - row.oldest) / 1000)),
      deadLetterQueue: config.deadLetter?.queue,
      maxReceiveCount: config.deadLetter?.maxReceiveCount,
      visibilityTimeoutSeconds: config.visibilityTimeoutSeconds,
    };
  }

  async peek(queue: string, options: { max?: number } = {}): Promise<PeekedMessage[]> {
    this.configOf(queue);
    const rows = this.sql(
      'SELECT id, body, receive_count, sent_at FROM messages WHERE queue = ? ORDER BY seq LIMIT ?',
    ).all(queue, Math.min(Math.max(options.max ?? 10, 1), 1000)) as MessageRow[];
    return rows.map((r) => ({
      messageId: r.id,
      body: r.body,
      receiveCount: r.receive_count,
      sentAt: new Date(r.sent_at).toISOString(),
    }));
  }

  async redrive(
    deadLetterQueue: string,
    options: { messageIds?: readonly string[]; maxMessages?: number } = {},
  ): Promise<RedriveResult> {
    this.configOf(deadLetterQueue);
    const now = this.clock.now();
    const moved = this.db
      .transaction(() => {
        const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
        // maxMessages bounds the messages moved (as the SQS adapter does), so with ids it applies after the filter.
        const rows = (
          this.sql('SELECT id, source_queue FROM messages WHERE queue = ? ORDER BY seq LIMIT ?').all(
            deadLetterQueue,
            wanted ? -1 : (options.maxMessages ?? -1),
          ) as {
            id: string;
            source_queue: string | null;
          }[]
        )
          .filter((row) => !wanted || wanted.has(row.id))
          .slice(0, options.maxMessages ?? Number.POSITIVE_INFINITY);
        let count = 0;
        const update = this.sql(
          'UPDATE messages SET queue = ?, source_queue = NULL, visible_at = ?, receive_count = 0, first_receive_at = NULL, receipt = NULL, sent_at = ? WHERE id = ?',
        );
        for (const row of rows) {
          if (wanted && !wanted.has(row.id)) continue;
          const target = row.source_queue ?? this.sourceOf(deadLetterQueue);
          if (!target) continue;
          update.run(target, now, now, row.id);
          count += 1;
        }
        return count;
      })
      .immediate();
    for (const queue of Object.keys(this.config)) this.sent.emit(queue);
    return { moved };
  }

  private sourceOf(deadLetterQueue: string): string | undefined {
    return Object.entries(this.config).find(([, c]) => c.deadLetter?.queue === deadLetterQueue)?.[0];
  }

  async purge(queue: string): Promise<void> {
    this.configOf(queue);
    this.sql('DELETE FROM messages WHERE queue = ?').run(queue);
  }

  /**
   * Makes every in-flight message visible again. Only for the local stack at start-up, when it owns the
   * data directory and so knows that the receivers of those messages died with the previous run.
   */
  releaseInFlight(): number {
    const result = this.sql(
      'UPDATE messages SET visible_at = ?, receipt = NULL WHERE receipt IS NOT NULL AND visible_at > ?',
    ).run(this.clock.now(), this.clock.now());
    return result.changes;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
