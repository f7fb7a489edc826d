import { parseArchiveRequest } from './archive-requests.js';
import { type FinaliseDeps, finaliseOrGiveUp } from './finalise-job.js';
import type { SQSBatchResponse, SQSEvent, SQSHandler } from './sqs-types.js';

/** What the archiver needs: the augmenter's stores and the receive limit of its queue. */
export type ArchiveDeps = Omit<FinaliseDeps, 'requestFinalise'>;

/**
 * The archiver's Lambda handler: each record asks for one job's finalisation (the zip of its variants
 * and the terminal event). It runs in its own function, with a longer timeout and more memory than the
 * augmenter, fed by its own queue, so that a large job's archive never holds up, nor times out, an
 * upload record. A finalisation that keeps failing is recorded as the job's failure at the queue's last
 * receive, as the augmenter does inline; an unreadable request is returned as failed (to the DLQ).
 */
export const createArchiveHandler =
  (deps: ArchiveDeps): SQSHandler =>
  async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      try {
        const { jobId } = parseArchiveRequest(record.body);
        const attempt = Number(record.attributes.ApproximateReceiveCount) || 1;
        await finaliseOrGiveUp({ ...deps, requestFinalise: undefined }, jobId, attempt);
      } catch (error) {
        deps.log?.('archive request failed; it will be retried', {
          messageId: record.messageId,
          reason: (error as Error).message,
        });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
