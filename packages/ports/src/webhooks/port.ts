/** One delivery attempt of a job's webhook. */
export interface WebhookAttempt {
  readonly attempt: number;
  /** ISO time of the attempt. */
  readonly at: string;
  /** The receiver's HTTP status, when it answered. */
  readonly status?: number;
  /** Why the attempt failed (network error, non-2xx status, refused address). */
  readonly error?: string;
  readonly ok: boolean;
}

/** `waiting` for the job to end, `pending` delivery (retrying), `delivered`, or `failed` (gave up after 24 h). */
export type WebhookStatus = 'waiting' | 'pending' | 'delivered' | 'failed';

export interface Webhook {
  readonly jobId: string;
  readonly url: string;
  /** The HMAC-SHA256 key the payloads of this job are signed with. */
  readonly secret: string;
  readonly status: WebhookStatus;
  /** Epoch ms of the next attempt (pending), or of the next check of the job (waiting). */
  readonly nextAt: number;
  /** Epoch ms of the first attempt: retries stop 24 h after it. */
  readonly firstAttemptAt?: number;
  /** The payload, fixed at the first attempt so that every retry sends the same document. */
  readonly payload?: string;
  readonly attempts: readonly WebhookAttempt[];
}

/**
 * The webhook outbox: one row per job with a webhook, and its delivery attempts. The dispatcher takes due
 * rows, delivers, and records each attempt; rows survive restarts, so retries do too.
 */
export interface WebhookOutbox {
  register(webhook: { jobId: string; url: string; secret: string; nextAt: number }): Promise<void>;
  get(jobId: string): Promise<Webhook | undefined>;
  /** Rows whose `nextAt` has come (waiting or pending), oldest first. */
  due(now: number, limit: number): Promise<Webhook[]>;
  /** Sets a waiting row's next check time. */
  wait(jobId: string, nextAt: number): Promise<void>;
  /** Records an attempt and the row's new state. */
  record(
    jobId: string,
    attempt: WebhookAttempt,
    next: { status: WebhookStatus; nextAt: number; payload: string; firstAttemptAt: number },
  ): Promise<void>;
  delete(jobId: string): Promise<void>;
  close(): Promise<void>;
}
