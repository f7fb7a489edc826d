import type { Clock } from '@delta-augment/core';
import type { GatewayContext } from './context.js';

/**
 * Deletes jobs past their retention (RETENTION_DAYS, default 27 as in the seed) with all their blobs.
 * Locally a timer runs it; on AWS bucket lifecycle rules and DynamoDB TTL do the same.
 */
export const sweepExpired = async (ctx: Pick<GatewayContext, 'ports' | 'deleteJob'>, clock: Clock): Promise<number> => {
  let removed = 0;
  for (;;) {
    const ids = await ctx.ports.events.expired(new Date(clock.now()).toISOString(), 100);
    if (ids.length === 0) return removed;
    for (const id of ids) {
      await ctx.deleteJob(id);
      removed += 1;
    }
  }
};

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
