import { blobKeys } from '@delta-augment/core';
import type { Ports } from './ports.js';

/** Deletes a job's events and records, then every file under its folders (unfinished writes included). */
export const deleteJobData = async (ports: Pick<Ports, 'blobs' | 'events'>, jobId: string): Promise<void> => {
  // The events go first: a worker still rendering the job sees it gone, stops, and removes what it writes
  // after this; a deletion cut short here leaves folders of a job that no longer exists, which the
  // reconciler removes.
  await ports.events.delete(jobId);
  for (const prefix of blobKeys.jobPrefixes(jobId)) await ports.blobs.deletePrefix(prefix);
};

/**
 * Deletes every job whose retention has passed at `now` (ISO), 100 at a time, through `deleteJob`;
 * returns how many it deleted. Locally a timer in the gateway runs it; on AWS one scheduled function
 * does (infra/retention-sweeper.ts), never the gateway instances.
 */
export const deleteExpiredJobs = async (
  events: Pick<Ports['events'], 'expired'>,
  deleteJob: (jobId: string) => Promise<void>,
  now: string,
): Promise<number> => {
  let removed = 0;
  for (;;) {
    const ids = await events.expired(now, 100);
    if (ids.length === 0) return removed;
    for (const id of ids) {
      await deleteJob(id);
      removed += 1;
    }
  }
};
