import {
  awaitsDataset,
  DATASET_SOURCE_ID,
  decodeS3Key,
  isTestEvent,
  type JobCommand,
  type JobState,
  needsFinalising,
  parseArchiveRequest,
  parseS3Notification,
  parseSourceKey,
} from '@delta-augment/core';
import { ARCHIVE_DEAD_LETTER_QUEUE, DEAD_LETTER_QUEUE, type JobService, type WorkQueue } from '@delta-augment/ports';
import { every } from './every.js';
import { datasetUnreadReason, finalisationUnfinishedReason } from './reconciler.js';

export interface DeadLetterSweepDeps {
  readonly queue: Pick<WorkQueue, 'peek'>;
  readonly jobs: Pick<JobService, 'load' | 'handleJob'>;
  /** The dead-letter queue swept (default: the archive DLQ for finalisations, the upload DLQ for dataset zips). */
  readonly deadLetterQueue?: string;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** What one sweep looks for in its dead-letter queue. */
interface DeadLetterRule {
  readonly queue: string;
  /** The jobs a dead-lettered message was this rule's work for (none: not its message, left for the operator). */
  jobsOf(body: string): readonly string[];
  /** The conditional command that fails the job, or undefined when the job needs nothing. */
  giveUp(job: JobState, receives: number): JobCommand | undefined;
  readonly logMessage: string;
}

const PEEK_MAX = 1000;

/**
 * Fails, once, every job whose message is in a dead-letter queue after being received `maxReceiveCount` times by a
 * function that never answered (killed: out of memory, out of time) and that nothing on the job records. The
 * command is conditional on the job still waiting for that work, so concurrent sweeps of several gateway instances
 * record it once. The message stays in the DLQ for the operator; a redrive of it finds the job ended and changes
 * nothing.
 *
 * It only peeks the DLQ: on SQS a peek is a receive, which raises the receive count, harmless there (a DLQ has no
 * redrive policy, and a message moved back gets a new id and count). The live queue is not peeked (that would push
 * its messages towards the DLQ), so a duplicate message of the same job still running there can lose to this
 * give-up: the job still ends once.
 */
const failDeadLettered = async (deps: DeadLetterSweepDeps, rule: DeadLetterRule): Promise<number> => {
  let failed = 0;
  for (const message of await deps.queue.peek(rule.queue, { max: PEEK_MAX })) {
    for (const jobId of rule.jobsOf(message.body)) {
      const job = await deps.jobs.load(jobId);
      const command = job && rule.giveUp(job, Math.max(1, message.receiveCount));
      if (!command) continue;
      const { events } = await deps.jobs.handleJob(jobId, command);
      if (events.length === 0) continue;
      failed += 1;
      deps.log?.(rule.logMessage, { jobId, ...('reason' in command ? { reason: command.reason } : {}) });
    }
  }
  return failed;
};

const archiveRequestJobs = (body: string): readonly string[] => {
  try {
    return [parseArchiveRequest(body).jobId];
  } catch {
    return []; // not an archive request
  }
};

/** The jobs whose dataset zip an S3 notification announces (a source's or a test event's: none). */
const datasetZipJobs = (body: string): readonly string[] => {
  try {
    const notification = parseS3Notification(body);
    if (isTestEvent(notification)) return [];
    return notification.Records.flatMap((record) => {
      const parsed = parseSourceKey(decodeS3Key(record.s3.object.key));
      return parsed?.sourceId === DATASET_SOURCE_ID ? [parsed.jobId] : [];
    });
  } catch {
    return []; // not a notification
  }
};

/**
 * The AWS counterpart of the local reconciler's step for a finalisation that died at every attempt: an archive
 * request in the archive DLQ whose job still needs finalising fails the job (`GiveUpFinalising`).
 */
export const failDeadLetteredFinalisations = (deps: DeadLetterSweepDeps): Promise<number> =>
  failDeadLettered(deps, {
    queue: deps.deadLetterQueue ?? ARCHIVE_DEAD_LETTER_QUEUE,
    jobsOf: archiveRequestJobs,
    giveUp: (job, receives) =>
      needsFinalising(job) ? { type: 'GiveUpFinalising', reason: finalisationUnfinishedReason(receives) } : undefined,
    logMessage: 'job failed: its archive request is in the dead-letter queue',
  });

/**
 * A dataset zip's ObjectCreated message in the upload DLQ whose job still waits for its zip to be read (not
 * expanded, not ended): the reader (the augmenter) was cut at every delivery (its Lambda's timeout or memory), and
 * nothing else would end the job. It fails once (`RejectDataset`, conditional on the job still awaiting its zip).
 */
export const failDeadLetteredDatasets = (deps: DeadLetterSweepDeps): Promise<number> =>
  failDeadLettered(deps, {
    queue: deps.deadLetterQueue ?? DEAD_LETTER_QUEUE,
    jobsOf: datasetZipJobs,
    giveUp: (job, receives) =>
      awaitsDataset(job) ? { type: 'RejectDataset', reason: datasetUnreadReason(receives) } : undefined,
    logMessage: 'job failed: its dataset zip message is in the dead-letter queue',
  });

const startSweep =
  (sweep: (deps: DeadLetterSweepDeps) => Promise<number>, name: string) =>
  (deps: DeadLetterSweepDeps, everyMs: number): (() => void) =>
    every(
      everyMs,
      () => sweep(deps),
      (error) => deps.log?.(`${name} dead-letter sweep failed`, { reason: error.message }),
    );

/** Runs `failDeadLetteredFinalisations` every `everyMs`; returns a stop function. */
export const startArchiveDeadLetterSweep = startSweep(failDeadLetteredFinalisations, 'archive');

/** Runs `failDeadLetteredDatasets` every `everyMs`; returns a stop function. */
export const startDatasetDeadLetterSweep = startSweep(failDeadLetteredDatasets, 'dataset');
