import { isId, type JobState } from '@delta-augment/core';
import type { Caller } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { notFound } from '../errors.js';

/** Loads a job the caller may see; other owners' jobs are reported as missing, never as forbidden. */
export const loadOwnJob = async (
  ctx: GatewayContext,
  request: { readonly caller: Caller },
  id: string,
): Promise<JobState> => {
  if (!isId(id)) throw notFound(`job ${id}`);
  const state = await ctx.jobs.load(id);
  if (!state || (!request.caller.admin && state.owner !== request.caller.owner)) throw notFound(`job ${id}`);
  return state;
};
