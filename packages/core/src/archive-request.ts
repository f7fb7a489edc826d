import { PermanentError } from './errors.js';

/** The body of an archive request (the archive queue's messages): the job whose sources are all settled. */
export interface ArchiveRequest {
  readonly type: 'FinaliseJob';
  readonly jobId: string;
}

export const archiveRequestBody = (jobId: string): string =>
  JSON.stringify({ type: 'FinaliseJob', jobId } satisfies ArchiveRequest);

/** Reads an archive request; throws a PermanentError for a body that is not one. */
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
