/** Base class of every error the shared package throws. `code` is stable and mapped to HTTP status by the gateway. */
export class DeltaError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeltaError';
    this.code = code;
  }
}

/** The job's stream moved on since it was read: re-read and decide again. */
export class ConcurrencyError extends DeltaError {
  constructor(
    readonly jobId: string,
    readonly expectedVersion: number,
    options?: { cause?: unknown },
  ) {
    super('CONCURRENCY_CONFLICT', `job ${jobId} is no longer at version ${expectedVersion}`, options);
    this.name = 'ConcurrencyError';
  }
}

export class NotFoundError extends DeltaError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', `${what} was not found`, options);
    this.name = 'NotFoundError';
  }
}

/** A storage or service fault that may pass: the work is retried. */
export class TransientError extends DeltaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TRANSIENT', message, options);
    this.name = 'TransientError';
  }
}

/** Input that can never succeed (corrupt image, over a limit): recorded as final and not retried. */
export class PermanentError extends DeltaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PERMANENT', message, options);
    this.name = 'PermanentError';
  }
}

/** A receipt handle that is not (or no longer) the current one of an in-flight message. */
export class ReceiptHandleError extends DeltaError {
  constructor(message: string) {
    super('RECEIPT_HANDLE_INVALID', message);
    this.name = 'ReceiptHandleError';
  }
}

/** Bad configuration; the message names the variable. */
export class ConfigError extends DeltaError {
  constructor(message: string) {
    super('CONFIG', message);
    this.name = 'ConfigError';
  }
}

export const isConcurrencyError = (error: unknown): error is ConcurrencyError =>
  error instanceof DeltaError && error.code === 'CONCURRENCY_CONFLICT';
