import { DeltaError } from '@delta-augment/core';

/** Codes of the `{ "type": "error" }` messages the notifier sends. */
export type ProtocolErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_MESSAGE'
  | 'UNKNOWN_TYPE'
  | 'MESSAGE_TOO_LARGE'
  | 'NOT_FOUND'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE';

/** A client message the notifier answers with an error message; the connection stays open. */
export class ProtocolError extends DeltaError {
  declare readonly code: ProtocolErrorCode;
  constructor(
    code: ProtocolErrorCode,
    message: string,
    readonly jobId?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'ProtocolError';
  }
}
