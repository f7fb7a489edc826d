import { DATASET_SOURCE_ID, decodeS3Key, isTestEvent, parseS3Notification, parseSourceKey } from '@delta-augment/core';
import { type Deadline, deadlineOf } from './deadline.js';
import { type ProcessDeps, processSource } from './process-source.js';
import type { HandlerContext, SQSBatchResponse, SQSEvent, SQSHandler, SQSRecord } from './sqs-types.js';

/**
 * The augmenter's Lambda handler: every SQS record holds an S3 event notification. Records that fail
 * transiently are returned in `batchItemFailures` so that only they are retried; permanent failures are
 * recorded on the job and acknowledged; `s3:TestEvent` messages are acknowledged and ignored; a body that
 * is not an S3 notification is returned as failed, so that it ends in the dead-letter queue.
 */
/** Reads a job's uploaded dataset zip into its sources (`expandDataset` of `@delta-augment/datasets`, injected by the app or the Lambda entry). */
export type DatasetExpander = (jobId: string) => Promise<void>;

export type HandlerDeps = ProcessDeps & {
  readonly deadlineMarginMs?: number;
  /** Without it, a dataset zip's job fails with a reason saying so (it would otherwise wait forever). */
  readonly expandDataset?: DatasetExpander;
};

export const createHandler =
  (deps: HandlerDeps): SQSHandler =>
  async (event: SQSEvent, context?: HandlerContext): Promise<SQSBatchResponse> => {
    const deadline = deadlineOf(context, deps.deadlineMarginMs);
    const failures: { itemIdentifier: string }[] = [];
    const settled = new Set<string>();
    const work = Promise.all(
      event.Records.map(async (record) => {
        try {
          await handleRecord(deps, record, deadline);
        } catch (error) {
          deps.log?.('record failed; it will be retried', {
            messageId: record.messageId,
            reason: (error as Error).message,
          });
          failures.push({ itemIdentifier: record.messageId });
        } finally {
          settled.add(record.messageId);
        }
      }),
    );
    try {
      await Promise.race([work, deadline.answerBy]);
    } finally {
      deadline.dispose();
    }
    // Out of time: the records still running are reported as failed, so that only they come back after
    // the visibility timeout, and the ones that finished are deleted (Lambda would otherwise retry them all).
    const unfinished = event.Records.filter((r) => !settled.has(r.messageId)).map((r) => ({
      itemIdentifier: r.messageId,
    }));
    if (unfinished.length > 0) deps.log?.('out of time; unfinished records returned', { count: unfinished.length });
    return { batchItemFailures: [...failures, ...unfinished] };
  };

const handleRecord = async (deps: HandlerDeps, record: SQSRecord, deadline: Deadline): Promise<void> => {
  let notification: ReturnType<typeof parseS3Notification>;
  try {
    notification = parseS3Notification(record.body);
  } catch (error) {
    // Not acknowledged: an unreadable message is retried and then dead-lettered, where an operator sees it
    // (nothing leaves the queue unprocessed without a trace).
    throw new Error(`unreadable message: ${(error as Error).message}`, { cause: error });
  }
  if (isTestEvent(notification)) return;
  const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
  for (const s3 of notification.Records) {
    if (!s3.eventName.startsWith('ObjectCreated')) continue;
    const key = decodeS3Key(s3.s3.object.key);
    const parsed = parseSourceKey(key);
    if (!parsed) {
      deps.log?.('object outside sources/ acknowledged', { key });
      continue;
    }
    if (parsed.sourceId === DATASET_SOURCE_ID) {
      if (deps.expandDataset) await deps.expandDataset(parsed.jobId);
      else
        await deps.jobs.handleJob(parsed.jobId, {
          type: 'RejectDataset',
          reason: 'this deployment reads no uploaded dataset zips (its augmenter has no dataset expander)',
        });
      continue;
    }
    await processSource(deps, {
      jobId: parsed.jobId,
      sourceId: parsed.sourceId,
      key,
      attempt,
      signal: deadline.signal,
      ...(deadline.stopAt === undefined ? {} : { stopAt: deadline.stopAt }),
    });
  }
};
