import { type BlobStore, type JobService, needsFinalising } from '@delta-augment/shared';
import { allSources } from './all-sources.js';
import { writeArchive } from './archive.js';

export interface FinaliseDeps {
  readonly blobs: BlobStore;
  readonly jobs: JobService;
}

/**
 * Writes the archive and the terminal event once every source is settled. Safe to run twice and from
 * anywhere (a worker that settled the last source, a redelivered message, or a queue of its own): the
 * archive's key is deterministic and the terminal event is a conditional append on the job record, so
 * exactly one finalisation is recorded.
 */
export const finaliseJob = async (deps: FinaliseDeps, jobId: string): Promise<void> => {
  const job = await deps.jobs.load(jobId);
  if (!job || !needsFinalising(job)) return;
  const anyCompleted = job.counts.failed < job.sourceCount;
  const archive = anyCompleted ? await writeArchive(deps.blobs, deps.jobs, job) : undefined;
  const failures = new Set<string>();
  if (!archive) for await (const s of allSources(deps.jobs, jobId)) failures.add(s.failure ?? s.status);
  await deps.jobs.handleJob(jobId, { type: 'FinaliseJob', archive, failures: [...failures] });
};
