import * as pulumi from '@pulumi/pulumi';
import { InfraConfigError } from './errors.js';
import { augmenterMemoryMb, LAMBDA_MAX_MEMORY_MB } from './lambda-sizing.js';

/** Lambda and EC2 CPU architectures the stack can deploy. */
export type Architecture = 'arm64' | 'x86_64';

/** Every setting of the stack, after defaults and validation. */
export interface StackSettings {
  /** Receives of one upload message before SQS moves it to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Augmenter memory; derived from the load (`augmenterMemoryMb`) unless set, and never below it. */
  readonly lambdaMemoryMb: number;
  /** `MAX_PIXELS` of the app: the largest image decoded. */
  readonly maxPixels: number;
  /** `MAX_FILE_BYTES` of the app: the largest source file. */
  readonly maxFileBytes: number;
  /** `RENDER_CONCURRENCY`: variants rendered at once per source in the Lambda. */
  readonly renderConcurrency: number;
  /** Lambda timeout; the upload queue's visibility timeout is 6x this. */
  readonly lambdaTimeoutSeconds: number;
  readonly lambdaArchitecture: Architecture;
  /** Messages per Lambda invocation (SQS event source mapping). */
  readonly batchSize: number;
  /** How long the event source mapping gathers a batch (0 = invoke as soon as messages arrive). */
  readonly batchWindowSeconds: number;
  /** Most concurrent Lambda invocations the queue drives (2..1000). */
  readonly maxConcurrency: number;
  /** EC2 type of the gateway instances; a Graviton type (`t4g`, `m7g`, ...) selects an arm64 AMI. */
  readonly instanceType: string;
  readonly minSize: number;
  readonly maxSize: number;
  /** Days before sources, results and job records expire. */
  readonly retentionDays: number;
  /** Git URL the gateway instances clone the app from. */
  readonly appRepository: string;
  /** Branch or tag of `appRepository` to deploy. */
  readonly appVersion: string;
  /** Origins besides the CDN's own allowed to PUT/GET objects with signed URLs (CORS); never `*`. */
  readonly corsOrigins: readonly string[];
  /** ACM certificate (same region) for an HTTPS listener on the load balancer; HTTP only without one. */
  readonly certificateArn?: string;
  /** Email subscribed to the dead-letter alarm; no subscription without one. */
  readonly alarmEmail?: string;
  /** Directory or zip with a prebuilt augmenter Lambda package; bundled with esbuild when unset. */
  readonly augmenterPackage?: string;
}

/** Secret settings, stored in SSM Parameter Store and read by the instances at boot. */
export interface StackSecrets {
  /** `API_KEYS` of the gateway (`key:owner,...`). */
  readonly apiKeys?: pulumi.Input<string>;
  /** `ADMIN_KEY` of the gateway (queue operations). */
  readonly adminKey?: pulumi.Input<string>;
}

/** Defaults of every optional setting. */
export const defaultSettings = {
  maxReceiveCount: 5,
  maxPixels: 40_000_000,
  maxFileBytes: 25 * 1024 * 1024,
  renderConcurrency: 2,
  lambdaTimeoutSeconds: 120,
  lambdaArchitecture: 'arm64',
  batchSize: 2,
  batchWindowSeconds: 1,
  maxConcurrency: 20,
  instanceType: 't4g.small',
  minSize: 2,
  maxSize: 6,
  retentionDays: 27,
  appVersion: 'main',
  corsOrigins: [],
} as const satisfies Partial<StackSettings>;

/** Every config key the stack reads (namespace: the project, `delta-augment`). */
export const settingKeys = [
  'maxReceiveCount',
  'lambdaMemoryMb',
  'maxPixels',
  'maxFileBytes',
  'renderConcurrency',
  'lambdaTimeoutSeconds',
  'lambdaArchitecture',
  'batchSize',
  'batchWindowSeconds',
  'maxConcurrency',
  'instanceType',
  'minSize',
  'maxSize',
  'retentionDays',
  'appRepository',
  'appVersion',
  'corsOrigins',
  'certificateArn',
  'alarmEmail',
  'augmenterPackage',
] as const;

/** Raw config values by key, as `pulumi config` holds them (strings). */
export type RawSettings = Partial<Record<(typeof settingKeys)[number], string>>;

const int = (raw: RawSettings, key: keyof RawSettings, fallback: number, min: number, max: number): number => {
  const text = raw[key];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InfraConfigError(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return value;
};

const optional = (raw: RawSettings, key: keyof RawSettings): string | undefined => {
  const text = raw[key]?.trim();
  return text ? text : undefined;
};

/**
 * Applies defaults and AWS limits to raw config values. Pure, so that its rules are unit-tested:
 * the Lambda timeout stays within 900 s (its 6x visibility timeout within SQS's 12 hours), a batch
 * larger than 10 needs a batching window (an SQS event source rule), `minSize` <= `maxSize`.
 */
export const resolveSettings = (raw: RawSettings): StackSettings => {
  const d = defaultSettings;
  const appRepository = optional(raw, 'appRepository');
  if (!appRepository) {
    throw new InfraConfigError('appRepository', 'is required: the git URL the gateway instances deploy from');
  }
  const lambdaArchitecture = optional(raw, 'lambdaArchitecture') ?? d.lambdaArchitecture;
  if (lambdaArchitecture !== 'arm64' && lambdaArchitecture !== 'x86_64') {
    throw new InfraConfigError(
      'lambdaArchitecture',
      `must be arm64 or x86_64, got ${JSON.stringify(lambdaArchitecture)}`,
    );
  }
  const batchSize = int(raw, 'batchSize', d.batchSize, 1, 10_000);
  const batchWindowSeconds = int(raw, 'batchWindowSeconds', d.batchWindowSeconds, 0, 300);
  if (batchSize > 10 && batchWindowSeconds < 1) {
    throw new InfraConfigError('batchWindowSeconds', 'must be at least 1 when batchSize is larger than 10');
  }
  const minSize = int(raw, 'minSize', d.minSize, 0, 100);
  const maxSize = int(raw, 'maxSize', d.maxSize, 1, 100);
  if (minSize > maxSize) throw new InfraConfigError('minSize', `(${minSize}) must not exceed maxSize (${maxSize})`);
  const instanceType = optional(raw, 'instanceType') ?? d.instanceType;
  if (!/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(instanceType)) {
    throw new InfraConfigError('instanceType', `is not an EC2 instance type: ${JSON.stringify(instanceType)}`);
  }
  const corsOrigins = optional(raw, 'corsOrigins')
    ?.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (corsOrigins?.some((origin) => origin.includes('*'))) {
    throw new InfraConfigError('corsOrigins', 'must list origins (https://app.example.com), not a wildcard');
  }
  const load = {
    maxPixels: int(raw, 'maxPixels', d.maxPixels, 1, 2 ** 31),
    maxFileBytes: int(raw, 'maxFileBytes', d.maxFileBytes, 1024, 2 ** 31),
    batchSize,
    renderConcurrency: int(raw, 'renderConcurrency', d.renderConcurrency, 1, 64),
  };
  const neededMemoryMb = augmenterMemoryMb(load);
  const lambdaMemoryMb = int(raw, 'lambdaMemoryMb', neededMemoryMb, 128, LAMBDA_MAX_MEMORY_MB);
  if (lambdaMemoryMb < neededMemoryMb) {
    throw new InfraConfigError(
      'lambdaMemoryMb',
      `${lambdaMemoryMb} MB is less than the ${neededMemoryMb} MB that batchSize, renderConcurrency and maxPixels need`,
    );
  }
  const certificateArn = optional(raw, 'certificateArn');
  const alarmEmail = optional(raw, 'alarmEmail');
  const augmenterPackage = optional(raw, 'augmenterPackage');
  return {
    maxReceiveCount: int(raw, 'maxReceiveCount', d.maxReceiveCount, 1, 1000),
    lambdaMemoryMb,
    maxPixels: load.maxPixels,
    maxFileBytes: load.maxFileBytes,
    renderConcurrency: load.renderConcurrency,
    lambdaTimeoutSeconds: int(raw, 'lambdaTimeoutSeconds', d.lambdaTimeoutSeconds, 1, 900),
    lambdaArchitecture,
    batchSize,
    batchWindowSeconds,
    maxConcurrency: int(raw, 'maxConcurrency', d.maxConcurrency, 2, 1000),
    instanceType,
    minSize,
    maxSize,
    retentionDays: int(raw, 'retentionDays', d.retentionDays, 1, 3650),
    appRepository,
    appVersion: optional(raw, 'appVersion') ?? d.appVersion,
    corsOrigins: corsOrigins ?? d.corsOrigins,
    ...(certificateArn ? { certificateArn } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(augmenterPackage ? { augmenterPackage } : {}),
  };
};

/** Reads the stack's settings and secrets from Pulumi config. */
export const readSettings = (config: pulumi.Config = new pulumi.Config()): [StackSettings, StackSecrets] => {
  const raw: RawSettings = {};
  for (const key of settingKeys) raw[key] = config.get(key);
  const apiKeys = config.getSecret('apiKeys');
  const adminKey = config.getSecret('adminKey');
  return [resolveSettings(raw), { ...(apiKeys ? { apiKeys } : {}), ...(adminKey ? { adminKey } : {}) }];
};

/** The CPU architecture of an EC2 instance type: Graviton families carry a `g` after the generation. */
export const instanceArchitecture = (instanceType: string): Architecture => {
  const family = instanceType.split('.')[0] ?? '';
  const suffix = /^[a-z]+\d+([a-z-]*)$/.exec(family)?.[1] ?? '';
  return suffix.includes('g') ? 'arm64' : 'x86_64';
};

/**
 * SQS visibility timeout for a Lambda consumer: AWS recommends six times the function timeout plus the
 * event source mapping's `MaximumBatchingWindowInSeconds` (a message gathered early in the window is
 * already invisible while the batch fills).
 */
export const visibilityTimeoutFor = (lambdaTimeoutSeconds: number, batchWindowSeconds = 0): number =>
  lambdaTimeoutSeconds * 6 + batchWindowSeconds;
