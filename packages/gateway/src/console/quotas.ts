import type { QuotaLimits } from '@delta-augment/ports';

export type QuotaName = keyof QuotaLimits;

/** What an owner has used: jobs and variants since the start of the UTC day, bytes stored now. */
export interface OwnerUsage {
  readonly jobsToday: number;
  readonly variantsToday: number;
  readonly bytesStored: number;
}

/** What a new job would add. */
export interface QuotaRequest {
  readonly variants: number;
  readonly bytes: number;
}

export interface QuotaExceeded {
  readonly quota: QuotaName;
  /** The setting that sets the default limit. */
  readonly setting: string;
  readonly limit: number;
  readonly used: number;
  readonly requested: number;
  /** When the usage falls back (next UTC midnight); undefined for stored bytes, which fall as jobs expire. */
  readonly resetsAt?: string;
}

export const QUOTA_SETTINGS: Readonly<Record<QuotaName, string>> = {
  jobsPerDay: 'QUOTA_JOBS_PER_DAY',
  variantsPerDay: 'QUOTA_VARIANTS_PER_DAY',
  bytesStored: 'QUOTA_BYTES_STORED',
};

/** The start of the UTC day holding `now`, and the start of the next one. */
export const utcDay = (now: number): { start: string; next: string } => {
  const start = new Date(now);
  start.setUTCHours(0, 0, 0, 0);
  return { start: start.toISOString(), next: new Date(start.getTime() + 86_400_000).toISOString() };
};

/** The limits of one owner: the defaults with that owner's overrides on top. */
export const limitsFor = (
  defaults: QuotaLimits,
  overrides: ReadonlyMap<string, Partial<QuotaLimits>>,
  owner: string,
): QuotaLimits => ({ ...defaults, ...overrides.get(owner) });

/**
 * Decides whether a new job fits the owner's quotas: the first quota it would exceed, or undefined.
 * A job that brings usage exactly to the limit fits.
 */
export const checkQuota = (
  limits: QuotaLimits,
  usage: OwnerUsage,
  request: QuotaRequest,
  now: number,
): QuotaExceeded | undefined => {
  const { next } = utcDay(now);
  const checks: { quota: QuotaName; used: number; requested: number; resetsAt?: string }[] = [
    { quota: 'jobsPerDay', used: usage.jobsToday, requested: 1, resetsAt: next },
    { quota: 'variantsPerDay', used: usage.variantsToday, requested: request.variants, resetsAt: next },
    { quota: 'bytesStored', used: usage.bytesStored, requested: request.bytes },
  ];
  for (const check of checks) {
    const limit = limits[check.quota];
    if (limit > 0 && check.used + check.requested > limit) {
      return { ...check, limit, setting: QUOTA_SETTINGS[check.quota] };
    }
  }
  return undefined;
};

/** The message of a 429 for an exceeded quota: which quota, the numbers, and when it resets. */
export const quotaMessage = (owner: string, exceeded: QuotaExceeded): string => {
  const what = {
    jobsPerDay: 'jobs per day',
    variantsPerDay: 'variants per day',
    bytesStored: 'bytes stored',
  }[exceeded.quota];
  const reset = exceeded.resetsAt ? `it resets at ${exceeded.resetsAt}` : 'it frees up as jobs are deleted or expire';
  return `quota ${exceeded.quota} (${what}) of owner ${owner}: ${exceeded.used} used + ${exceeded.requested} requested > ${exceeded.limit} (${exceeded.setting} or a per-owner override); ${reset}`;
};
