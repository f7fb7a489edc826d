import type { Clock } from '@delta-augment/core';
import { deleteExpiredJobs } from '@delta-augment/ports';
import type { GatewayContext } from './context.js';

/**
 * Deletes jobs past their retention (RETENTION_DAYS, default 27 as in the seed) with all their blobs.
 * The local stack runs it on a timer; on AWS the scheduled retention function does (one per stack,
 * not one per gateway instance), beside bucket lifecycle rules and DynamoDB TTL.
 */
export const sweepExpired = (ctx: Pick<GatewayContext, 'ports' | 'deleteJob'>, clock: Clock): Promise<number> =>
  deleteExpiredJobs(ctx.ports.events, (jobId) => ctx.deleteJob(jobId), new Date(clock.now()).toISOString());

export const startSweeper = (
  ctx: Pick<GatewayContext, 'ports' | 'deleteJob'>,
  clock: Clock,
  everyMs: number,
  log: (m: string, f?: Record<string, unknown>) => void,
) => {
  const run = () =>
    sweepExpired(ctx, clock)
      .then((removed) => removed && log('expired jobs deleted', { removed }))
      .catch((error: Error) => log('retention sweep failed', { reason: error.message }));
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};
