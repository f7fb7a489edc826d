import { type JobState, progressOf } from '@delta-augment/core';
import type { JobEventStore } from '@delta-augment/ports';
import { type OwnerUsage, utcDay } from './quotas.js';

/**
 * Bytes a job keeps in storage, from its record's counters (no read of its sources): its variants and its
 * archive. Source images are not counted (the job record keeps no sum of them).
 */
export const storedBytesOf = (state: JobState): number => state.counts.bytes + (state.archive?.bytes ?? 0);

/**
 * An owner's usage, read from the job projection: jobs and variants created since the start of the UTC day,
 * and bytes stored by every job not yet expired or deleted. It pages the owner's jobs (newest first), so it
 * costs one query per 100 jobs that the owner keeps; retention bounds that.
 */
export const ownerUsage = async (
  events: Pick<JobEventStore, 'query'>,
  owner: string,
  now: number,
): Promise<OwnerUsage> => {
  const { start } = utcDay(now);
  let jobsToday = 0;
  let variantsToday = 0;
  let bytesStored = 0;
  let cursor: string | undefined;
  do {
    const page = await events.query({ owner, limit: 100, cursor });
    for (const job of page.items) {
      if (job.createdAt >= start) {
        jobsToday += 1;
        variantsToday += progressOf(job).total;
      }
      bytesStored += storedBytesOf(job);
    }
    cursor = page.cursor;
  } while (cursor);
  return { jobsToday, variantsToday, bytesStored };
};
