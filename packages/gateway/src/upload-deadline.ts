import {
  awaitsDataset,
  type Clock,
  isJobTerminal,
  type JobState,
  type JobStatus,
  needsFinalising,
} from '@delta-augment/core';
import type { BlobStore, JobEventStore, JobService } from '@delta-augment/ports';
import type { GatewayContext } from './context.js';
import { RequestError } from './errors.js';
import { INTERRUPTED_UPLOAD } from './reconciler.js';

/**
 * The upload deadline of signed-upload jobs (issue 17, point 8): a source whose object has not arrived
 * UPLOAD_DEADLINE_SECONDS after its job was created fails with that reason, so that every accepted job ends.
 * Signed URLs never outlive the deadline, re-issuing them stops at it, and a PUT after it is refused.
 */

/** When the uploads of a job close (ms since the epoch). */
export const uploadDeadlineOf = (state: Pick<JobState, 'createdAt'>, deadlineSeconds: number): number =>
  Date.parse(state.createdAt) + deadlineSeconds * 1000;

/** The reason a late source fails with, naming the budget. */
export const lateUploadReason = (deadlineSeconds: number): string =>
  `the upload did not arrive within ${deadlineSeconds} s of the job's creation (UPLOAD_DEADLINE_SECONDS)`;

/** Throws a 410 when the job's uploads are closed: past the deadline, or the job has ended. */
export const checkUploadsOpen = (state: JobState, deadlineSeconds: number, now: number): void => {
  const deadline = uploadDeadlineOf(state, deadlineSeconds);
  if (isJobTerminal(state)) {
    throw new RequestError(
      'UPLOADS_CLOSED',
      `job ${state.id} has ended (${state.status}): it takes no more uploads`,
      410,
    );
  }
  if (now > deadline) {
    throw new RequestError(
      'UPLOAD_DEADLINE_PASSED',
      `the uploads of job ${state.id} closed at ${new Date(deadline).toISOString()}, ${deadlineSeconds} s after its creation (UPLOAD_DEADLINE_SECONDS)`,
      410,
    );
  }
};

export interface UploadDeadlineDeps {
  readonly events: Pick<JobEventStore, 'query'>;
  readonly jobs: JobService;
  readonly blobs: Pick<BlobStore, 'head'>;
  readonly clock: Clock;
  readonly deadlineSeconds: number;
  /** Writes the job's archive and terminal event, or asks the archiver to (the augmenter's finalisation). */
  finalise(jobId: string): Promise<void>;
}

/**
 * Statuses of a job that may still wait for an upload (`processing`: some sources arrived, others not; `queued`:
 * a multipart upload whose gateway died before it stored a source).
 */
const WAITING: readonly JobStatus[] = ['created', 'queued', 'processing'];

/**
 * Fails every source still without its object past the deadline (final, with the reason), then finalises the
 * jobs that left settled: a signed upload that never arrived (`pending`), and a multipart upload recorded as
 * uploaded whose gateway died before the object was stored (`uploaded`, no object: no notification can come).
 * The reconciler repairs the latter locally at once; on AWS this sweep is what ends such a job. An object that
 * did arrive but whose notification is still on its way is left alone: its worker records it. Idempotent: a
 * second run finds nothing (or only finalises what is still due). Returns the number of sources failed.
 */
export const failLateUploads = async (deps: UploadDeadlineDeps): Promise<number> => {
  const cutoff = new Date(deps.clock.now() - deps.deadlineSeconds * 1000).toISOString();
  const reason = lateUploadReason(deps.deadlineSeconds);
  let failed = 0;
  for (const status of WAITING) {
    let cursor: string | undefined;
    do {
      const page = await deps.events.query({ status, createdBefore: cutoff, limit: 100, cursor });
      cursor = page.cursor;
      for (const job of page.items) {
        // A dataset zip that never arrived fails its job (one that did is read by its worker).
        if (awaitsDataset(job) && job.datasetUpload && !(await deps.blobs.head(job.datasetUpload.key))) {
          const { events } = await deps.jobs.handleJob(job.id, { type: 'RejectDataset', reason });
          failed += events.length > 0 ? 1 : 0;
          continue;
        }
        failed += await failMissingSources(deps, job, reason);
        const after = await deps.jobs.load(job.id);
        if (after && needsFinalising(after)) await deps.finalise(job.id);
      }
    } while (cursor);
  }
  return failed;
};

const failMissingSources = async (deps: UploadDeadlineDeps, job: JobState, reason: string): Promise<number> => {
  let failed = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.jobs.sources(job.id, { limit: 1000, cursor });
    cursor = page.cursor;
    for (const source of page.items) {
      const late = source.status === 'pending';
      if (!(late || source.status === 'uploaded') || (await deps.blobs.head(source.key))) continue;
      // An image of an uploaded dataset zip is stored by the zip's worker, from the zip (the reconciler deals
      // with a zip whose message is gone).
      if (source.entry !== undefined) continue;
      const { events } = await deps.jobs.handleSource(
        job.id,
        source.sourceId,
        { type: 'FailSource', reason: late ? reason : INTERRUPTED_UPLOAD, attempt: source.attempts, final: true },
        source,
      );
      failed += events.length > 0 ? 1 : 0;
    }
  } while (cursor);
  return failed;
};

/** How often the sweep runs: a quarter of the deadline, between 1 s and a minute. */
export const sweepIntervalMs = (deadlineSeconds: number): number =>
  Math.min(60_000, Math.max(1000, (deadlineSeconds * 1000) / 4));

/**
 * Runs {@link failLateUploads} now and then every `everyMs` (default {@link sweepIntervalMs}; unref'd), on the gateway's ports;
 * `finalise` is the augmenter's finalisation (inline locally, an archive request on AWS). Returns the stop function.
 */
export const startUploadDeadlineSweep = (
  ctx: Pick<GatewayContext, 'ports' | 'jobs' | 'clock' | 'config'>,
  finalise: (jobId: string) => Promise<void>,
  log: (m: string, f?: Record<string, unknown>) => void,
  everyMs = sweepIntervalMs(ctx.config.budgets.uploadDeadlineSeconds),
) => {
  const { uploadDeadlineSeconds } = ctx.config.budgets;
  const deps: UploadDeadlineDeps = {
    events: ctx.ports.events,
    jobs: ctx.jobs,
    blobs: ctx.ports.blobs,
    clock: ctx.clock,
    deadlineSeconds: uploadDeadlineSeconds,
    finalise,
  };
  let busy = false;
  const run = () => {
    if (busy) return;
    busy = true;
    void failLateUploads(deps)
      .then((failed) => {
        if (failed > 0) log('sources failed: their upload missed the deadline', { failed });
      })
      .catch((error: Error) => log('upload deadline sweep failed', { reason: error.message }))
      .finally(() => {
        busy = false;
      });
  };
  run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
};
