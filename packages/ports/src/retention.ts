import { blobKeys } from '@delta-augment/core';
import type { Ports } from './ports.js';

/** Deletes a job's blobs (sources and results, archives included) and then its events and records. */
export const deleteJobData = async (ports: Pick<Ports, 'blobs' | 'events'>, jobId: string): Promise<void> => {
  for (const prefix of blobKeys.jobPrefixes(jobId)) {
    const keys = await ports.blobs.list(prefix);
    await Promise.all(keys.map((key) => ports.blobs.delete(key)));
  }
  await ports.events.delete(jobId);
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
