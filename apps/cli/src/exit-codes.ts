import { ApiError, UnreachableError } from '@delta-augment/client';
import { InputError, JobFailedError } from '@delta-augment/client/node';

/** Exit codes of the client CLI, so that scripts can tell what went wrong. */
export const EXIT = {
  ok: 0,
  /** Anything else: a server error (5xx), a local file system error. */
  error: 1,
  /** Bad input: missing or invalid arguments, files, options; a 4xx answer. */
  badInput: 2,
  /** The job ended `failed`. */
  jobFailed: 3,
  /** The server could not be reached (or answered 502/503/504 until the retries ran out). */
  unreachable: 4,
  /** Interrupted (Ctrl-C); run the same command again to resume. */
  interrupted: 130,
} as const;

/** Thrown for a bad command line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The exit code of an error, and a code name for `--json` lines. */
export const classify = (error: unknown): { exit: number; code: string } => {
  if (error instanceof UsageError || error instanceof InputError) return { exit: EXIT.badInput, code: 'BAD_INPUT' };
  if (error instanceof ApiError) {
    if (error.status >= 400 && error.status < 500) return { exit: EXIT.badInput, code: error.code };
    return { exit: EXIT.error, code: error.code };
  }
  if (error instanceof JobFailedError) return { exit: EXIT.jobFailed, code: 'JOB_FAILED' };
  if (error instanceof UnreachableError) return { exit: EXIT.unreachable, code: 'UNREACHABLE' };
  if ((error as Error)?.name === 'AbortError') return { exit: EXIT.interrupted, code: 'INTERRUPTED' };
  return { exit: EXIT.error, code: 'ERROR' };
};
