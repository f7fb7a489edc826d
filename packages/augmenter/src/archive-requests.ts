import { archiveRequestBody } from '@delta-augment/core';
import type { WorkQueue } from '@delta-augment/ports';

export { type ArchiveRequest, archiveRequestBody, parseArchiveRequest } from '@delta-augment/core';

/**
 * `ProcessDeps.requestFinalise` over a work queue: one message per settled job. Duplicates are
 * harmless (finalising is idempotent), so several workers settling a job's last sources at once may
 * each send one.
 */
export const queueArchiveRequests =
  (queue: Pick<WorkQueue, 'send'>, queueName: string) =>
  async (jobId: string): Promise<void> => {
    await queue.send(queueName, archiveRequestBody(jobId));
  };
