import { randomUUID } from 'node:crypto';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { type Clock, type JobState, progressOf } from '@delta-augment/core';
import type { JobService, Webhook, WebhookOutbox } from '@delta-augment/ports';
import { resolveWebhookHost } from './address-check.js';
import type { WebhookSettings } from './settings.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature.js';

/** How often a job that has not ended yet is looked at again. */
const WAIT_CHECK_MS = 2_000;
/** Longest gap between two retries. */
const MAX_BACKOFF_MS = 3_600_000;

/** The small JSON document a receiver gets when a job ends. */
export const webhookPayload = (state: JobState, deliveryId: string, at: string) =>
  JSON.stringify({
    id: deliveryId,
    type: state.status === 'completed' ? 'job.completed' : 'job.failed',
    at,
    job: {
      id: state.id,
      status: state.status,
      progress: progressOf(state),
      tags: state.tags,
      failure: state.failure,
      archive: state.archive ? { bytes: state.archive.bytes, count: state.archive.count } : undefined,
      archivePath: `/api/jobs/${state.id}/archive`,
    },
  });

/** POSTs a payload to the URL, connecting only to addresses that passed the check. Resolves with the status. */
const post = async (url: URL, body: string, headers: Record<string, string>, settings: WebhookSettings) => {
  const addresses = await resolveWebhookHost(url, settings.allowHosts);
  const pinned: LookupFunction = (_host, options, callback) => {
    const first = addresses[0] as { address: string; family: number };
    if ((options as { all?: boolean }).all) (callback as (e: null, a: typeof addresses) => void)(null, addresses);
    else callback(null, first.address, first.family);
  };
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
    lookup: pinned,
    timeout: settings.timeoutMs,
  };
  return new Promise<number>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
      response.once('error', reject);
    });
    request.once('timeout', () => request.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)));
    request.once('error', reject);
    request.end(body);
  });
};

export interface WebhookDispatcherDeps {
  readonly outbox: WebhookOutbox;
  readonly jobs: Pick<JobService, 'load'>;
  readonly clock: Clock;
  readonly settings: WebhookSettings;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Delivers webhooks from the outbox: a `waiting` row is checked until its job ends, then the payload is
 * fixed and POSTed, signed (HMAC-SHA256 over `<timestamp>.<body>`); a failure (network error, timeout,
 * non-2xx) is retried with exponential back-off (`retryBaseMs`, doubling, at most an hour apart) until
 * `retryForMs` after the first attempt. Every attempt is recorded on the row, which outlives restarts.
 */
export class WebhookDispatcher {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(private readonly deps: WebhookDispatcherDeps) {}

  start(intervalMs = 500): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#running = this.runDue()
        .catch((error: unknown) => this.deps.log?.('webhook dispatch failed', { reason: (error as Error).message }))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Handles every due row once. */
  async runDue(): Promise<void> {
    const now = this.deps.clock.now();
    const due = await this.deps.outbox.due(now, 50);
    await Promise.all(due.map((webhook) => this.handle(webhook, now)));
  }

  private async handle(webhook: Webhook, now: number): Promise<void> {
    const { outbox, jobs, settings } = this.deps;
    let payload = webhook.payload;
    if (webhook.status === 'waiting') {
      const state = await jobs.load(webhook.jobId);
      if (!state) return outbox.delete(webhook.jobId);
      if (state.status !== 'completed' && state.status !== 'failed')
        return outbox.wait(webhook.jobId, now + WAIT_CHECK_MS);
      payload = webhookPayload(state, `wh_${randomUUID()}`, new Date(now).toISOString());
    }
    if (!payload) return;
    const firstAttemptAt = webhook.firstAttemptAt ?? now;
    const attempt = webhook.attempts.length + 1;
    const timestamp = Math.floor(now / 1000);
    const deliveryId = (JSON.parse(payload) as { id: string }).id;
    let status: number | undefined;
    let error: string | undefined;
    try {
      status = await post(
        new URL(webhook.url),
        payload,
        {
          [SIGNATURE_HEADER]: signWebhook(webhook.secret, timestamp, payload),
          [TIMESTAMP_HEADER]: String(timestamp),
          [DELIVERY_HEADER]: deliveryId,
          'user-agent': 'delta-augment-webhook/1',
        },
        settings,
      );
      if (status < 200 || status >= 300) error = `the receiver answered ${status}`;
    } catch (failure) {
      error = (failure as Error).message;
    }
    const ok = error === undefined;
    const backoff = Math.min(MAX_BACKOFF_MS, settings.retryBaseMs * 2 ** (attempt - 1));
    const giveUp = !ok && now + backoff > firstAttemptAt + settings.retryForMs;
    await outbox.record(
      webhook.jobId,
      {
        attempt,
        at: new Date(now).toISOString(),
        ok,
        ...(status !== undefined ? { status } : {}),
        ...(error ? { error } : {}),
      },
      {
        status: ok ? 'delivered' : giveUp ? 'failed' : 'pending',
        nextAt: ok || giveUp ? now : now + backoff,
        payload,
        firstAttemptAt,
      },
    );
    this.deps.log?.(ok ? 'webhook delivered' : 'webhook attempt failed', {
      jobId: webhook.jobId,
      attempt,
      status,
      error,
    });
  }
}
