import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from '@delta-augment/core';
import { type Budgets, loadBudgets } from './budgets.js';
import { type Env, int, list, str } from './env.js';

/** Every setting, read from the environment once at start-up. The local default needs none. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** 'local' (SQLite + filesystem) or 'aws' (SDK clients, optionally against `awsEndpoint`). */
  readonly adapters: 'local' | 'aws';
  /** API key -> owner id. Empty: no authentication on loopback. */
  readonly apiKeys: ReadonlyMap<string, string>;
  readonly adminKey?: string;
  readonly maxVariants: number;
  readonly maxFileBytes: number;
  readonly maxRequestBytes: number;
  readonly maxPixels: number;
  readonly maxFilesPerJob: number;
  readonly retentionDays: number;
  readonly corsOrigins: readonly string[];
  readonly rateLimitPerMinute: number;
  /** Per-owner quotas (0 = unlimited), checked when a job is created, and per-owner overrides. */
  readonly quotas: { readonly defaults: QuotaLimits; readonly overrides: ReadonlyMap<string, Partial<QuotaLimits>> };
  /** The operator console: seconds between queue samples, and the oldest-message age that turns a queue red. */
  readonly console: { readonly sampleSeconds: number; readonly oldestAgeAlertSeconds: number };
  /** Augmenter worker processes of the local stack (the engine's warp runs on a JS thread: one per core). */
  readonly workerProcesses: number;
  /**
   * Niceness added to the local stack's worker processes (0 = the gateway's own priority): image work yields
   * the CPU to the gateway, whose answers must stay prompt while libvips' threads fill every core.
   */
  readonly workerNice: number;
  /** Concurrent invocations in each local worker process. */
  readonly workerConcurrency: number;
  /** Variants rendered at once per source (the Lambda's memory is sized from it: infra/lambda-sizing.ts). */
  readonly renderConcurrency: number;
  /**
   * How long an idle HTTP keep-alive connection stays open. Longer than the load balancer's idle
   * timeout, so the load balancer, not the app, closes idle connections (no 502s on reuse).
   */
  readonly keepAliveTimeoutSeconds: number;
  /** Proxies in front of the gateway whose X-Forwarded-For entries are trusted (AWS: load balancer + CloudFront). */
  readonly trustedProxyHops: number;
  readonly handlerTimeoutSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly batchSize: number;
  readonly batchWindowSeconds: number;
  readonly signingSecret: string;
  readonly publicUrl?: string;
  /** Budgets that bound the work, memory and time one request may take (issue 17); see `budgets.ts`. */
  readonly budgets: Budgets;
  /** Free bytes the data directory's file system must keep; below it /readyz answers 503 (MIN_FREE_DISK_BYTES). */
  readonly minFreeDiskBytes: number;
  /**
   * The reconciler (local stack): at start-up, then every `intervalSeconds` (RECONCILE_INTERVAL_SECONDS), it
   * repairs what a crash left half done; while the stack runs it only touches work older than `graceSeconds`
   * (RECONCILE_GRACE_SECONDS), which may still be in progress when younger.
   */
  readonly reconcile: { readonly intervalSeconds: number; readonly graceSeconds: number };
  readonly aws: {
    readonly region: string;
    /**
     * Endpoint override per service (LocalStack, MinIO, fauxqs, dynalite, ...): `AWS_ENDPOINT_URL_<SERVICE>`,
     * else `AWS_ENDPOINT_URL`. A service without one talks to AWS.
     */
    readonly endpoints: AwsEndpoints;
    readonly sourceBucket: string;
    readonly resultBucket: string;
    readonly queueUrl: string;
    readonly deadLetterQueueUrl: string;
    readonly table: string;
    readonly eventBus: string;
    /** This instance's notification queue (EventBridge → SNS → SQS), polled by the notifier. */
    readonly notifyQueueUrl?: string;
    /** Queue of archive requests: set, the augmenter hands finalisation to the archiver function. */
    readonly archiveQueueUrl?: string;
    /** Dead-letter queue of the archive requests (listed among the queues operators see). */
    readonly archiveDeadLetterQueueUrl?: string;
  };
}

/** The AWS services the app (and its emulated stack) talks to. */
export const AWS_SERVICES = ['s3', 'sqs', 'dynamodb', 'eventbridge', 'sns'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];
export type AwsEndpoints = Readonly<Partial<Record<AwsService, string>>>;

/** API_KEYS is `key` or `key:owner` entries separated by commas; a bare key is its own owner. */
const parseKeys = (env: Env): Map<string, string> => {
  const keys = new Map<string, string>();
  for (const entry of list(env, 'API_KEYS')) {
    const [key, owner] = entry.split(':');
    if (!key || key.length < 16) throw new ConfigError('API_KEYS entries must be keys of at least 16 characters');
    keys.set(key, owner || `key-${key.slice(0, 8)}`);
  }
  return keys;
};

/** An absolute http(s) URL, or a ConfigError naming the variable and the value. */
const httpUrl = (env: Env, name: string): string | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new ConfigError(`${name} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
  }
  return raw.replace(/\/+$/, '');
};

/**
 * `AWS_ENDPOINT_URL_S3`, `_SQS`, `_DYNAMODB`, `_EVENTBRIDGE`, `_SNS` (the SDK's own names), each
 * falling back to `AWS_ENDPOINT_URL`.
 */
const readEndpoints = (env: Env): AwsEndpoints => {
  const fallback = httpUrl(env, 'AWS_ENDPOINT_URL');
  const endpoints: Partial<Record<AwsService, string>> = {};
  for (const service of AWS_SERVICES) {
    const url = httpUrl(env, `AWS_ENDPOINT_URL_${service.toUpperCase()}`) ?? fallback;
    if (url) endpoints[service] = url;
  }
  return endpoints;
};

export const loadConfig = (env: Env = process.env): Config => {
  const adapters = str(env, 'ADAPTERS', 'local');
  if (adapters !== 'local' && adapters !== 'aws')
    throw new ConfigError(`ADAPTERS must be local or aws, got ${adapters}`);
  const handlerTimeoutSeconds = int(env, 'HANDLER_TIMEOUT_SECONDS', 120, 1, 900);
  const visibilityTimeoutSeconds = int(env, 'VISIBILITY_TIMEOUT_SECONDS', handlerTimeoutSeconds * 6, 1, 43_200);
  if (visibilityTimeoutSeconds < handlerTimeoutSeconds) {
    throw new ConfigError(
      `VISIBILITY_TIMEOUT_SECONDS (${visibilityTimeoutSeconds}) must be at least HANDLER_TIMEOUT_SECONDS (${handlerTimeoutSeconds}); AWS recommends 6x`,
    );
  }
  const adminKey = env.ADMIN_KEY || undefined;
  if (adminKey !== undefined && adminKey.length < 16) throw new ConfigError('ADMIN_KEY must be at least 16 characters');
  const dataDir = resolve(str(env, 'DATA_DIR', './data'));
  const maxPixels = int(env, 'MAX_PIXELS', 40_000_000, 1, 2 ** 31);
  const endpoints = readEndpoints(env);
  // The queue URLs name the queues on every endpoint, so they must be URLs whatever host they name.
  const queueUrl = adapters === 'aws' ? httpUrl(env, 'QUEUE_URL') : str(env, 'QUEUE_URL', '');
  const deadLetterQueueUrl = adapters === 'aws' ? httpUrl(env, 'DLQ_URL') : str(env, 'DLQ_URL', '');
  const notifyQueueUrl = adapters === 'aws' ? httpUrl(env, 'NOTIFY_QUEUE_URL') : env.NOTIFY_QUEUE_URL || undefined;
  return {
    port: int(env, 'PORT', 8080, 0, 65_535),
    host: str(env, 'HOST', '127.0.0.1'),
    dataDir,
    adapters,
    apiKeys: parseKeys(env),
    adminKey,
    maxVariants: int(env, 'MAX_VARIANTS', 100, 1, 10_000),
    maxFileBytes: int(env, 'MAX_FILE_BYTES', 25 * 1024 * 1024, 1024, 2 ** 31),
    maxRequestBytes: int(env, 'MAX_REQUEST_BYTES', 100 * 1024 * 1024, 1024, 2 ** 32),
    maxPixels,
    maxFilesPerJob: int(env, 'MAX_FILES_PER_JOB', 10_000, 1, 100_000),
    retentionDays: int(env, 'RETENTION_DAYS', 27, 1, 3650),
    corsOrigins: list(env, 'CORS_ORIGINS'),
    rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    quotas: {
      defaults: {
        jobsPerDay: int(env, 'QUOTA_JOBS_PER_DAY', 1000, 0, 10_000_000),
        variantsPerDay: int(env, 'QUOTA_VARIANTS_PER_DAY', 1_000_000, 0, 2 ** 40),
        bytesStored: int(env, 'QUOTA_BYTES_STORED', 50 * 1024 ** 3, 0, 2 ** 50),
      },
      overrides: parseQuotaOverrides(env.QUOTA_OVERRIDES),
    },
    console: {
      sampleSeconds: int(env, 'CONSOLE_SAMPLE_SECONDS', 10, 1, 600),
      oldestAgeAlertSeconds: int(env, 'CONSOLE_OLDEST_AGE_SECONDS', 300, 1, 1_209_600),
    },
    workerProcesses: int(env, 'WORKER_PROCESSES', availableParallelism(), 1, 64),
    workerNice: int(env, 'WORKER_NICE', 10, 0, 19),
    workerConcurrency: int(env, 'WORKER_CONCURRENCY', 2, 1, 256),
    renderConcurrency: int(env, 'RENDER_CONCURRENCY', 2, 1, 64),
    keepAliveTimeoutSeconds: int(env, 'KEEP_ALIVE_TIMEOUT_SECONDS', 75, 1, 3600),
    trustedProxyHops: int(env, 'TRUSTED_PROXY_HOPS', 1, 1, 5),
    handlerTimeoutSeconds,
    visibilityTimeoutSeconds,
    maxReceiveCount: int(env, 'MAX_RECEIVE_COUNT', 5, 1, 1000),
    batchSize: int(env, 'BATCH_SIZE', 10, 1, 10),
    batchWindowSeconds: int(env, 'BATCH_WINDOW_SECONDS', 0, 0, 300),
    signingSecret: str(env, 'SIGNING_SECRET', ''),
    publicUrl: env.PUBLIC_URL || undefined,
    budgets: loadBudgets(env, { maxPixels, handlerTimeoutSeconds }),
    minFreeDiskBytes: int(env, 'MIN_FREE_DISK_BYTES', 256 * 1024 ** 2, 0, 2 ** 50),
    reconcile: {
      intervalSeconds: int(env, 'RECONCILE_INTERVAL_SECONDS', 300, 1, 86_400),
      graceSeconds: int(env, 'RECONCILE_GRACE_SECONDS', 900, 0, 7 * 86_400),
    },
    aws: {
      region: str(env, 'AWS_REGION', 'us-east-1'),
      endpoints,
      sourceBucket: str(env, 'SOURCE_BUCKET', 'delta-augment-sources'),
      resultBucket: str(env, 'RESULT_BUCKET', 'delta-augment-results'),
      queueUrl: queueUrl ?? '',
      deadLetterQueueUrl: deadLetterQueueUrl ?? '',
      table: str(env, 'TABLE_NAME', 'delta-augment-jobs'),
      eventBus: str(env, 'EVENT_BUS_NAME', 'delta-augment'),
      notifyQueueUrl,
      archiveQueueUrl: adapters === 'aws' ? httpUrl(env, 'ARCHIVE_QUEUE_URL') : undefined,
      archiveDeadLetterQueueUrl: adapters === 'aws' ? httpUrl(env, 'ARCHIVE_DLQ_URL') : undefined,
    },
  };
};

/** Names of the two local queues. */
export const UPLOAD_QUEUE = 'uploads';
export const DEAD_LETTER_QUEUE = 'uploads-dlq';
/** Names of the archive request queues (AWS: the archiver function's queue and its DLQ). */
export const ARCHIVE_QUEUE = 'archives';
export const ARCHIVE_DEAD_LETTER_QUEUE = 'archives-dlq';

/** Per-owner limits; 0 means unlimited. */
export interface QuotaLimits {
  readonly jobsPerDay: number;
  readonly variantsPerDay: number;
  readonly bytesStored: number;
}

const QUOTA_NAMES: readonly (keyof QuotaLimits)[] = ['jobsPerDay', 'variantsPerDay', 'bytesStored'];

/**
 * Parses `QUOTA_OVERRIDES`: a JSON object from owner to partial limits, e.g.
 * `{"team-a":{"jobsPerDay":500},"ci":{"bytesStored":0}}`. Throws a ConfigError naming the bad entry.
 */
export const parseQuotaOverrides = (raw: string | undefined): Map<string, Partial<QuotaLimits>> => {
  const out = new Map<string, Partial<QuotaLimits>>();
  if (raw === undefined || raw.trim() === '') return out;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new ConfigError(`QUOTA_OVERRIDES is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(
      'QUOTA_OVERRIDES must be a JSON object of owner -> { jobsPerDay?, variantsPerDay?, bytesStored? }',
    );
  }
  for (const [owner, limits] of Object.entries(value)) {
    if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
      throw new ConfigError(`QUOTA_OVERRIDES.${owner} must be an object`);
    }
    const parsed: { -readonly [K in keyof QuotaLimits]?: number } = {};
    for (const [name, limit] of Object.entries(limits)) {
      const quota = QUOTA_NAMES.find((q) => q === name);
      if (!quota)
        throw new ConfigError(`QUOTA_OVERRIDES.${owner}.${name} is not a quota (use ${QUOTA_NAMES.join(', ')})`);
      if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
        throw new ConfigError(`QUOTA_OVERRIDES.${owner}.${name} must be a whole number >= 0 (0 = unlimited)`);
      }
      parsed[quota] = limit;
    }
    out.set(owner, parsed);
  }
  return out;
};
