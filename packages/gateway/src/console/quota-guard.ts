import type { GatewayContext } from '../context.js';
import { RequestError } from '../errors.js';
import { ownerUsage } from './owner-usage.js';
import { checkQuota, limitsFor, type QuotaRequest, quotaMessage } from './quotas.js';

/** 429 for a job that would pass one of its owner's quotas; names the quota, the numbers and when it resets. */
export class QuotaExceededError extends RequestError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super('QUOTA_EXCEEDED', message, 429, 'quota');
    this.name = 'QuotaExceededError';
  }
}

/**
 * Checks a new job against its owner's quotas before any work is done. Usage is read from the job
 * projection at the moment of the check, so two jobs created at the same instant may both pass: quotas are
 * a guard against runaway use, not billing.
 */
export const enforceQuota = async (ctx: GatewayContext, owner: string, request: QuotaRequest): Promise<void> => {
  const { defaults, overrides } = ctx.config.quotas;
  const limits = limitsFor(defaults, overrides, owner);
  if (limits.jobsPerDay === 0 && limits.variantsPerDay === 0 && limits.bytesStored === 0) return;
  const now = ctx.clock.now();
  const exceeded = checkQuota(limits, await ownerUsage(ctx.ports.events, owner, now), request, now);
  if (!exceeded) return;
  const retryAfter = exceeded.resetsAt ? Math.ceil((Date.parse(exceeded.resetsAt) - now) / 1000) : undefined;
  throw new QuotaExceededError(quotaMessage(owner, exceeded), retryAfter);
};
