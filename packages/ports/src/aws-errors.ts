import { DeltaError, TransientError } from '@delta-augment/core';

/** The fields of an AWS SDK v3 service exception the adapters look at, without importing a client's classes. */
interface AwsErrorLike {
  readonly name: string;
  readonly message: string;
  readonly $fault?: 'client' | 'server';
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** Error names that mean "slow down or try again": throttling, capacity and service faults of S3, SQS, DynamoDB and EventBridge. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TransactionInProgressException',
  'TransactionConflictException',
  'SlowDown',
  'KmsThrottled',
  'InternalServerError',
  'InternalError',
  'InternalException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'PurgeQueueInProgress',
]);

/** Network failures below the SDK (socket reset, refused connection, DNS) are worth a retry too. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

export const isTransientAwsError = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && TRANSIENT_CODES.has(code)) return true;
  const status = (error as AwsErrorLike).$metadata?.httpStatusCode;
  return (error as AwsErrorLike).$fault === 'server' || (status !== undefined && status >= 500);
};

/**
 * Turns anything an SDK call threw into a shared error, so that no `@aws-sdk` exception type leaks
 * past an adapter: shared errors pass through, throttling and service faults become `TransientError`,
 * everything else a `DeltaError` with code `AWS_<Name>` (the original stays reachable as `cause`).
 */
export const toSharedError = (error: unknown, what: string): DeltaError => {
  if (error instanceof DeltaError) return error;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  if (isTransientAwsError(error)) return new TransientError(`${what} failed: ${name}: ${message}`, { cause: error });
  return new DeltaError(`AWS_${name}`, `${what} failed: ${name}: ${message}`, { cause: error });
};

/** Runs one SDK call and rethrows its failure as a shared error. */
export const awsCall = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw toSharedError(error, what);
  }
};

export const errorName = (error: unknown): string | undefined => (error instanceof Error ? error.name : undefined);

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
