import { PermanentError } from '@delta-augment/core';
import type { WorkQueue } from '@delta-augment/ports';

/** The body of an archive request: the job whose sources are all settled. */
export interface ArchiveRequest {
  readonly type: 'FinaliseJob';
  readonly jobId: string;
}

export const archiveRequestBody = (jobId: string): string =>
  JSON.stringify({ type: 'FinaliseJob', jobId } satisfies ArchiveRequest);

export const parseArchiveRequest = (body: string): ArchiveRequest => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new PermanentError('an archive request is not JSON', { cause: error });
  }
  const request = parsed as Partial<ArchiveRequest> | null;
  if (request?.type !== 'FinaliseJob' || typeof request.jobId !== 'string' || request.jobId === '') {
    throw new PermanentError('an archive request names no job');
  }
  return { type: 'FinaliseJob', jobId: request.jobId };
};

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
