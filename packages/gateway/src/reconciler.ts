import {
  awaitsDataset,
  type Clock,
  DATASET_SOURCE_ID,
  decodeS3Key,
  isJobTerminal,
  isSourceSettled,
  isTestEvent,
  type JobState,
  type JobStatus,
  needsFinalising,
  parseS3Notification,
  parseSourceKey,
  type SourceState,
} from '@delta-augment/core';
import { DEAD_LETTER_QUEUE, type JobService, type Ports, UPLOAD_QUEUE } from '@delta-augment/ports';
import { every } from './every.js';

/** Where a local blob store keeps unfinished writes and job folders (`LocalBlobStore`). */
export interface BlobHousekeeping {
  sweepStrays(olderThanMs: number): Promise<{ readonly tempFiles: number; readonly sidecars: number }>;
  jobFolders(): Promise<readonly { readonly prefix: string; readonly jobId: string; readonly modifiedMs: number }[]>;
}

export interface ReconcileDeps {
  readonly ports: Pick<Ports, 'events' | 'blobs' | 'queue'>;
  readonly jobs: JobService;
  readonly clock: Clock;
  /** Queues an ObjectCreated message for a stored source (as the gateway's retry does). */
  resend(key: string, size: number): Promise<void>;
  readonly housekeeping?: BlobHousekeeping;
  /** Writes a job's archive and terminal event once its sources are settled (the augmenter's `finaliseJob`). */
  readonly finalise?: (jobId: string) => Promise<void>;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** What one pass repaired. */
export interface ReconcileReport {
  /** Sources stored without their message (a crash between the write and the send): message sent again. */
  readonly resent: number;
  /** Sources recorded as uploaded whose object was never stored (a crash between the append and the write). */
  readonly failed: number;
  readonly tempFiles: number;
  readonly sidecars: number;
  /** Folders of jobs that no longer exist (writes that landed after a deletion, or a deletion cut short). */
  readonly orphanFolders: number;
  /**
   * Sources whose message went to the dead-letter queue with nothing recorded: the worker of its last attempt
   * was killed (or lost its lease), so the queue moved the message at the next receive. Recorded as dead-lettered.
   */
  readonly deadLettered: number;
  /**
   * Jobs whose message went to the dead-letter queue while they were being finalised (the last attempt's worker
   * died writing the archive: out of memory, killed, out of time). Failed with a reason, once.
   */
  readonly unfinalised: number;
  /**
   * Jobs whose dataset zip's message went to the dead-letter queue before the zip was read (its reader was killed
   * at every attempt: out of memory, out of time). Failed with a reason, once.
   */
  readonly datasetsUnread: number;
}

export const INTERRUPTED_UPLOAD =
  'the upload was interrupted before the source was stored (the server stopped); upload the file again';

const OPEN: readonly JobStatus[] = ['created', 'queued', 'processing'];
const PEEK_MAX = 1000;

/** The source keys a queue's messages name, with the receive count of each (visible and in-flight messages). */
const keysIn = async (queue: Ports['queue'], name: string): Promise<Map<string, number>> => {
  const keys = new Map<string, number>();
  for (const message of await queue.peek(name, { max: PEEK_MAX })) {
    try {
      const notification = parseS3Notification(message.body);
      if (isTestEvent(notification)) continue;
      for (const record of notification.Records) keys.set(decodeS3Key(record.s3.object.key), message.receiveCount);
    } catch {
      // not a notification: the poison path deals with it
    }
  }
  return keys;
};

export const deadLetterUnrecordedReason = (receives: number): string =>
  `after ${receives} attempts: the last attempt did not finish (its worker stopped or lost its lease), so the message went to the dead-letter queue; redrive or retry to try again`;

/** Why a job fails whose finalisation was still running when its message's last attempt died. */
export const finalisationUnfinishedReason = (receives: number): string =>
  `the job could not be finalised after ${receives} attempts: the last attempt to write its archive did not finish (its worker stopped: out of memory, killed, or out of time), so its message went to the dead-letter queue`;

/** Why a job fails whose dataset zip's message went to the dead-letter queue before the zip was read. */
export const datasetUnreadReason = (receives: number): string =>
  `the dataset zip could not be read in ${receives} attempts: its reader stopped (out of time or memory) or failed at every attempt, so its message went to the dead-letter queue; upload a smaller zip or split it into several jobs`;

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The jobs that a queue's messages name. */
const jobsIn = (keys: Iterable<string>): Set<string> => {
  const jobs = new Set<string>();
  for (const key of keys) {
    const parsed = parseSourceKey(key);
    if (parsed) jobs.add(parsed.jobId);
  }
  return jobs;
};

/**
 * Ends a job that this pass settled by dead-lettering its last source: its archive is written here (the
 * finalisation that no message will run now). When that fails, the job fails with the reason, once: a job must
 * not stay open because this step keeps failing at every pass.
 */
const finaliseHere = async (deps: ReconcileDeps, jobId: string): Promise<void> => {
  try {
    await deps.finalise?.(jobId);
  } catch (error) {
    const reason = `the job could not be finalised: ${reasonOf(error)}`;
    deps.log?.('job failed: the reconciler could not finalise it', { jobId, reason });
    await deps.jobs.handleJob(jobId, { type: 'GiveUpFinalising', reason });
  }
};

/**
 * Records the sources whose message is in the dead-letter queue while nothing on the job says so (a worker killed
 * during a message's last attempt: the queue moves the message at the next receive, and no handler runs to record
 * it), then finalises the jobs this settles.
 *
 * A job whose sources were already all settled when its message reached the dead-letter queue was being
 * finalised when the message's last attempt died (out of memory, killed, out of time): that finalisation is not
 * run again here, where it would die the same way and take the gateway with it (or throw at every pass). The job
 * fails once with a reason that says so (`GiveUpFinalising`, as the handler records a finalisation that throws
 * at the last attempt). The message stays in the DLQ for the operator; a redrive of it finds the job ended and
 * changes nothing.
 *
 * A source that also has a message in the upload queue (a retry) is left alone, and so is the finalisation of a
 * job with any message there (it may still finalise the job). No grace: a message in the dead-letter queue is no
 * longer anyone's work.
 */
const recordDeadLetters = async (
  deps: ReconcileDeps,
  inUploadQueue: ReadonlyMap<string, number>,
  inDeadLetterQueue: ReadonlyMap<string, number>,
): Promise<{ deadLettered: number; unfinalised: number; datasetsUnread: number }> => {
  let deadLettered = 0;
  let unfinalised = 0;
  let datasetsUnread = 0;
  const jobsQueued = jobsIn(inUploadQueue.keys());
  for (const [key, receives] of inDeadLetterQueue) {
    const parsed = parseSourceKey(key);
    if (!parsed || inUploadQueue.has(key)) continue;
    const job = await deps.jobs.load(parsed.jobId);
    if (!job || isJobTerminal(job)) continue;
    const source = await deps.jobs.loadSource(parsed.jobId, parsed.sourceId);
    if (source && !isSourceSettled(source)) {
      const { job: after } = await deps.jobs.handleSource(
        parsed.jobId,
        parsed.sourceId,
        { type: 'DeadLetterSource', reason: deadLetterUnrecordedReason(receives) },
        source,
      );
      deadLettered += 1;
      if (after && needsFinalising(after)) await finaliseHere(deps, parsed.jobId);
    } else if (source && needsFinalising(job) && !jobsQueued.has(parsed.jobId)) {
      const reason = finalisationUnfinishedReason(receives);
      deps.log?.('job failed: its finalisation died at the last attempt', { jobId: parsed.jobId, reason });
      const { events } = await deps.jobs.handleJob(parsed.jobId, { type: 'GiveUpFinalising', reason });
      if (events.length > 0) unfinalised += 1;
    } else if (parsed.sourceId === DATASET_SOURCE_ID && awaitsDataset(job)) {
      const reason = datasetUnreadReason(receives);
      deps.log?.('job failed: its dataset zip message is in the dead-letter queue', { jobId: parsed.jobId, reason });
      const { events } = await deps.jobs.handleJob(parsed.jobId, { type: 'RejectDataset', reason });
      if (events.length > 0) datasetsUnread += 1;
    } else if (needsFinalising(job)) {
      // Not a source's message (a dataset zip's): the job's finalisation was not its work.
      await finaliseHere(deps, parsed.jobId);
    }
  }
  return { deadLettered, unfinalised, datasetsUnread };
};

async function* openJobs(events: Ports['events'], updatedBefore: string): AsyncGenerator<JobState> {
  for (const status of OPEN) {
    let cursor: string | undefined;
    do {
      const page = await events.query({ status, limit: 100, cursor });
      for (const job of page.items) if (job.updatedAt <= updatedBefore) yield job;
      cursor = page.cursor;
    } while (cursor);
  }
}

/**
 * Repairs what a crash (kill -9) left half done, so that every accepted job ends and a deleted job leaves
 * nothing behind:
 * - a source recorded as uploaded whose object was never stored (the gateway died between the event append and
 *   the blob write) fails with a reason; if that settles its job, a message is queued so a worker finalises it;
 * - a source whose object is stored but which has no message (died between the write and the send) gets its
 *   message again (handlers are idempotent, so a duplicate costs nothing);
 * - temp files and sidecars of writes that never finished are removed, and so are the folders of jobs that no
 *   longer exist (writes that landed after a DELETE, or a DELETE cut short);
 * - a source whose message is in the dead-letter queue with nothing recorded (a worker killed during the message's
 *   last attempt) is dead-lettered with a reason, and its job finalised (`finalise`), whatever its age;
 * - a job whose sources are all settled and whose message is in the dead-letter queue (its finalisation died at
 *   the last attempt) fails with a reason naming the finalisation, whatever its age;
 * - a job still waiting for its dataset zip to be read whose zip's message is in the dead-letter queue (its reader
 *   died at every attempt) fails with a reason naming the zip, whatever its age.
 *
 * Otherwise only work untouched for `graceMs` is considered: younger work may still be in progress. At start-up,
 * when the data directory's lock proves the previous process is gone, the local stack runs it with no grace.
 */
export const reconcile = async (deps: ReconcileDeps, graceMs: number): Promise<ReconcileReport> => {
  const { ports, jobs } = deps;
  const cutoff = deps.clock.now() - graceMs;
  // The upload queue first: a message that a redrive moves meanwhile is then seen in neither, and left alone.
  const inUploadQueue = await keysIn(ports.queue, UPLOAD_QUEUE);
  const inDeadLetterQueue = await keysIn(ports.queue, DEAD_LETTER_QUEUE);
  const queued = new Set([...inUploadQueue.keys(), ...inDeadLetterQueue.keys()]);
  const { deadLettered, unfinalised, datasetsUnread } = await recordDeadLetters(deps, inUploadQueue, inDeadLetterQueue);
  let resent = 0;
  let failed = 0;
  for await (const job of openJobs(ports.events, new Date(cutoff).toISOString())) {
    // A dataset zip stored without its message (a crash between the write and the send) gets it again.
    const zip = job.datasetUpload?.key;
    if (zip && awaitsDataset(job) && !queued.has(zip)) {
      const head = await ports.blobs.head(zip);
      if (head) {
        await deps.resend(zip, head.size);
        resent += 1;
      }
    }
    let cursor: string | undefined;
    do {
      const page = await jobs.sources(job.id, { limit: 1000, cursor });
      for (const source of page.items) {
        // An image of a dataset zip whose message is still queued is stored by that message's worker.
        const zipQueued =
          source.entry !== undefined && job.datasetUpload !== undefined && queued.has(job.datasetUpload.key);
        const outcome = zipQueued ? undefined : await reconcileSource(deps, job.id, source, queued);
        if (outcome === 'resent') resent += 1;
        if (outcome === 'failed') failed += 1;
      }
      cursor = page.cursor;
    } while (cursor);
  }
  const strays = (await deps.housekeeping?.sweepStrays(graceMs)) ?? { tempFiles: 0, sidecars: 0 };
  let orphanFolders = 0;
  const gone = new Map<string, boolean>();
  for (const folder of (await deps.housekeeping?.jobFolders()) ?? []) {
    if (folder.modifiedMs > cutoff) continue;
    if (!gone.has(folder.jobId)) gone.set(folder.jobId, (await ports.events.load(folder.jobId)) === undefined);
    if (!gone.get(folder.jobId)) continue;
    await ports.blobs.deletePrefix(folder.prefix);
    orphanFolders += 1;
  }
  const report = { resent, failed, ...strays, orphanFolders, deadLettered, unfinalised, datasetsUnread };
  if (Object.values(report).some((n) => n > 0)) deps.log?.('reconciler repaired interrupted work', { ...report });
  return report;
};

const reconcileSource = async (
  deps: ReconcileDeps,
  jobId: string,
  source: SourceState,
  queued: ReadonlySet<string>,
): Promise<'resent' | 'failed' | undefined> => {
  const unsettled = source.status === 'pending' || source.status === 'uploaded' || source.status === 'processing';
  if (!unsettled || queued.has(source.key)) return undefined;
  const head = await deps.ports.blobs.head(source.key);
  if (head) {
    await deps.resend(source.key, head.size);
    return 'resent';
  }
  // A signed upload that never arrived is the upload deadline's business, not a crash.
  if (source.status === 'pending') return undefined;
  const { job } = await deps.jobs.handleSource(
    jobId,
    source.sourceId,
    { type: 'FailSource', reason: INTERRUPTED_UPLOAD, attempt: source.attempts, final: true },
    source,
  );
  // The job's last open source just settled: a message for it lets a worker write the terminal event
  // (a worker finalises a job when it receives a message of a settled source).
  if (job && needsFinalising(job)) await deps.resend(source.key, 0);
  return 'failed';
};

/** Runs `reconcile` every `everyMs` with `graceMs`; returns a stop function. */
export const startReconciler = (deps: ReconcileDeps, everyMs: number, graceMs: number): (() => void) =>
  every(
    everyMs,
    () => reconcile(deps, graceMs),
    (error) => deps.log?.('reconciler pass failed', { reason: error.message }),
  );
