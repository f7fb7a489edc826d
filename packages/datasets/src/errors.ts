import { DeltaError } from '@delta-augment/core';

/**
 * A client error with a field name, naming the limit or rule the input broke. The gateway renders it as
 * `{ error: { code, message, field } }` with its 4xx status; the dataset expansion turns it into the reason a
 * job fails with.
 */
export class RequestError extends DeltaError {
  constructor(
    code: string,
    message: string,
    readonly statusCode: number,
    readonly field?: string,
  ) {
    super(code, message);
    this.name = 'RequestError';
  }
}

export const badRequest = (field: string, message: string, code = 'INVALID_FIELD') =>
  new RequestError(code, message, 400, field);
export const tooLarge = (field: string, message: string) => new RequestError('TOO_LARGE', message, 413, field);
export const unsupported = (field: string, message: string) =>
  new RequestError('UNSUPPORTED_MEDIA_TYPE', message, 415, field);
