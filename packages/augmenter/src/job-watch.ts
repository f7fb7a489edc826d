import { blobKeys, DeltaError } from '@delta-augment/core';
import type { BlobStore, JobService } from '@delta-augment/ports';

/** The job was deleted while one of its sources was being processed. */
export class JobDeletedError extends DeltaError {
  constructor(jobId: string) {
    super('JOB_DELETED', `job ${jobId} was deleted while it was processed`);
    this.name = 'JobDeletedError';
  }
}

/** True when the job's record is gone (deleted); a store that cannot answer counts as not deleted. */
export const isJobDeleted = async (jobs: Pick<JobService, 'load'>, jobId: string): Promise<boolean> =>
  (await jobs.load(jobId).then(
    (job) => job ?? null,
    () => 'unknown',
  )) === null;

/**
 * Removes every file under the job's prefixes: what a worker wrote for a job deleted while it rendered
 * (the gateway's own sweep may have run before these writes landed).
 */
export const sweepDeletedJob = async (blobs: Pick<BlobStore, 'deletePrefix'>, jobId: string): Promise<void> => {
  for (const prefix of blobKeys.jobPrefixes(jobId)) await blobs.deletePrefix(prefix);
};

/** A watch over a job while its source renders: its signal aborts when the invocation's does or the job is deleted. */
export interface JobWatch {
  readonly signal: AbortSignal;
  /** True once the watch found the job deleted. */
  readonly deleted: boolean;
  dispose(): void;
}

/**
 * Checks every `everyMs` (one read of the job's small record) that the job still exists; when it does not,
 * aborts with a `JobDeletedError`, which stops the renders in flight (the engine checks the signal between
 * stages and libvips stops at its timeout) and the variants not started.
 */
export const watchJob = (
  jobs: Pick<JobService, 'load'>,
  jobId: string,
  outer: AbortSignal | undefined,
  everyMs = 1000,
): JobWatch => {
  const controller = new AbortController();
  let deleted = false;
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuter();
  else outer?.addEventListener('abort', onOuter, { once: true });
  let checking = false;
  const timer = setInterval(() => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    void isJobDeleted(jobs, jobId)
      .then((gone) => {
        if (!gone) return;
        deleted = true;
        controller.abort(new JobDeletedError(jobId));
      })
      .finally(() => {
        checking = false;
      });
  }, everyMs);
  timer.unref();
  return {
    signal: controller.signal,
    get deleted() {
      return deleted;
    },
    dispose: () => {
      clearInterval(timer);
      outer?.removeEventListener('abort', onOuter);
    },
  };
};
