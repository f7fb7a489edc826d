import { needsFinalising } from '@delta-augment/core';
import type { BlobStore, JobService } from '@delta-augment/ports';
import { allSources } from './all-sources.js';
import { writeArchive } from './archive.js';

export interface FinaliseDeps {
  readonly blobs: BlobStore;
  readonly jobs: JobService;
  /** Receives after which SQS moves the message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
  /**
   * Hands the job's finalisation (archive + terminal event) to the archiver (AWS: its own queue and
   * function), so that no upload record waits for a whole job's archive. Unset: finalised inline.
   */
  readonly requestFinalise?: (jobId: string) => Promise<void>;
}

/**
 * Writes the archive and the terminal event once every source is settled. Safe to run twice and from
 * anywhere (a worker that settled the last source, a redelivered message, or a queue of its own): the
 * archive's key is deterministic and the terminal event is a conditional append on the job record, so
 * exactly one finalisation is recorded.
 */
export const finaliseJob = async (deps: Pick<FinaliseDeps, 'blobs' | 'jobs'>, jobId: string): Promise<void> => {
  const job = await deps.jobs.load(jobId);
  if (!job || !needsFinalising(job)) return;
  const anyCompleted = job.counts.failed < job.sourceCount;
  const archive = anyCompleted ? await writeArchive(deps.blobs, deps.jobs, job) : undefined;
  const failures = new Set<string>();
  if (!archive) for await (const s of allSources(deps.jobs, jobId)) failures.add(s.failure ?? s.status);
  await deps.jobs.handleJob(jobId, { type: 'FinaliseJob', archive, failures: [...failures] });
};

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Finalises the job (or asks the archiver to); a finalisation that still fails at the message's last allowed
 * attempt (the archive cannot be written, say) is recorded as the job's failure, so that the job ends instead
 * of waiting forever with its message in the dead-letter queue and nothing on the job to say why.
 */
export const finaliseOrGiveUp = async (deps: FinaliseDeps, jobId: string, attempt: number): Promise<void> => {
  if (deps.requestFinalise) return deps.requestFinalise(jobId);
  try {
    await finaliseJob(deps, jobId);
  } catch (error) {
    if (attempt < deps.maxReceiveCount) throw error;
    const reason = `the job could not be finalised after ${attempt} attempts: ${reasonOf(error)}`;
    deps.log?.('job failed: finalising it kept failing', { jobId, reason });
    await deps.jobs.handleJob(jobId, { type: 'GiveUpFinalising', reason });
  }
};
