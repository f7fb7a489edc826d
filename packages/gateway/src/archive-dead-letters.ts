import { needsFinalising, parseArchiveRequest } from '@delta-augment/core';
import { ARCHIVE_DEAD_LETTER_QUEUE, type JobService, type WorkQueue } from '@delta-augment/ports';
import { every } from './every.js';
import { finalisationUnfinishedReason } from './reconciler.js';

export interface ArchiveDeadLetterDeps {
  readonly queue: Pick<WorkQueue, 'peek'>;
  readonly jobs: Pick<JobService, 'load' | 'handleJob'>;
  /** The archive requests' dead-letter queue (default `archives-dlq`). */
  readonly deadLetterQueue?: string;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

const PEEK_MAX = 1000;

/**
 * The AWS counterpart of the local reconciler's step for a finalisation that died at every attempt: an archive
 * request in the archive DLQ whose job still needs finalising was received `maxReceiveCount` times by an archiver
 * that never answered (killed: out of memory, out of time; one that threw gives up itself at the last receive).
 * The job fails once with a reason that says so (`GiveUpFinalising`, a conditional append: concurrent sweeps of
 * several gateway instances record it once). The request stays in the DLQ for the operator; a redrive of it finds
 * the job ended and changes nothing.
 *
 * It only peeks the DLQ: on SQS a peek is a receive, which raises the receive count, harmless there (a DLQ has no
 * redrive policy, and a message moved back gets a new id and count). The live archive queue is not peeked (that
 * would push its messages towards the DLQ), so a duplicate request of the same job still running there can lose
 * to this give-up: the job still ends once.
 */
export const failDeadLetteredFinalisations = async (deps: ArchiveDeadLetterDeps): Promise<number> => {
  let failed = 0;
  for (const message of await deps.queue.peek(deps.deadLetterQueue ?? ARCHIVE_DEAD_LETTER_QUEUE, { max: PEEK_MAX })) {
    let jobId: string;
    try {
      ({ jobId } = parseArchiveRequest(message.body));
    } catch {
      continue; // not an archive request: left for the operator
    }
    const job = await deps.jobs.load(jobId);
    if (!job || !needsFinalising(job)) continue;
    const reason = finalisationUnfinishedReason(Math.max(1, message.receiveCount));
    const { events } = await deps.jobs.handleJob(jobId, { type: 'GiveUpFinalising', reason });
    if (events.length === 0) continue;
    failed += 1;
    deps.log?.('job failed: its archive request is in the dead-letter queue', { jobId, reason });
  }
  return failed;
};

/** Runs `failDeadLetteredFinalisations` every `everyMs`; returns a stop function. */
export const startArchiveDeadLetterSweep = (deps: ArchiveDeadLetterDeps, everyMs: number): (() => void) =>
  every(
    everyMs,
    () => failDeadLetteredFinalisations(deps),
    (error) => deps.log?.('archive dead-letter sweep failed', { reason: error.message }),
  );
