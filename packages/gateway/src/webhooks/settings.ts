import { ConfigError } from '@delta-augment/core';

export interface WebhookSettings {
  /** Host names (or IP literals) a webhook may reach even when they resolve to private addresses. */
  readonly allowHosts: ReadonlySet<string>;
  /** First retry delay; each retry doubles it, up to an hour. */
  readonly retryBaseMs: number;
  /** Retries stop this long after the first attempt. */
  readonly retryForMs: number;
  /** Longest a receiver may take to answer. */
  readonly timeoutMs: number;
}

const int = (
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
) => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return value;
};

/** WEBHOOK_ALLOW_HOSTS (comma-separated), WEBHOOK_RETRY_BASE_MS (10000), WEBHOOK_RETRY_HOURS (24), WEBHOOK_TIMEOUT_MS (10000). */
export const loadWebhookSettings = (
  env: Readonly<Record<string, string | undefined>> = process.env,
): WebhookSettings => ({
  allowHosts: new Set(
    (env.WEBHOOK_ALLOW_HOSTS ?? '')
      .split(',')
      .map((h) =>
        h
          .trim()
          .toLowerCase()
          .replace(/^\[|\]$/g, ''),
      )
      .filter(Boolean),
  ),
  retryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 10_000, 1, 3_600_000),
  retryForMs: int(env, 'WEBHOOK_RETRY_HOURS', 24, 1, 24 * 30) * 3_600_000,
  timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 120_000),
});
