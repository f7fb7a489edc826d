/** A 4xx/5xx answer of the API: `{ error: { code, message, field? } }` with its status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'ApiError';
  }
}

/** The server could not be reached (connection refused, DNS, reset, timeout) or answered 502/503/504. */
export class UnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnreachableError';
  }
}

/** Builds the error of a failed response from its body (JSON error envelope or plain text). */
export const apiErrorOf = (status: number, body: unknown, text = ''): ApiError => {
  const error = (body as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
  return new ApiError(
    status,
    error?.code ?? `HTTP_${status}`,
    error?.message ?? (text.slice(0, 300) || 'no body'),
    error?.field,
  );
};

/** True for statuses worth retrying: rate limited or the server (or a proxy in front of it) unavailable. */
export const isRetryableStatus = (status: number): boolean =>
  status === 429 || status === 502 || status === 503 || status === 504;
