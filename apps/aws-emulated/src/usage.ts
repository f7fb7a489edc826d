/**
 * Requests counted at the emulator boundary, per service and operation, in the units AWS bills:
 * S3 requests by pricing tier, SQS and SNS requests in 64 KB chunks, DynamoDB read and write units,
 * EventBridge events in 64 KB chunks, Lambda invocations and GB-seconds.
 */
export interface Usage {
  /** Operation → calls, per service (`s3`, `sqs`, `sns`, `dynamodb`, `eventbridge`). */
  readonly calls: Record<string, Record<string, number>>;
  readonly s3: { tier1: number; tier2: number; bytesIn: number; bytesOut: number };
  /** Billed requests: each 64 KB chunk of a payload is one request. */
  readonly sqs: { requests: number };
  readonly sns: { publishes: number };
  readonly dynamodb: { readUnits: number; writeUnits: number };
  readonly eventbridge: { events: number };
  readonly lambda: { invocations: number; records: number; durationMs: number; gbSeconds: number };
}

export const emptyUsage = (): Usage => ({
  calls: {},
  s3: { tier1: 0, tier2: 0, bytesIn: 0, bytesOut: 0 },
  sqs: { requests: 0 },
  sns: { publishes: 0 },
  dynamodb: { readUnits: 0, writeUnits: 0 },
  eventbridge: { events: 0 },
  lambda: { invocations: 0, records: 0, durationMs: 0, gbSeconds: 0 },
});

export const countCall = (usage: Usage, service: string, operation: string): void => {
  const perService = usage.calls[service] ?? {};
  usage.calls[service] = perService;
  perService[operation] = (perService[operation] ?? 0) + 1;
};

/** 64 KB chunks of a payload, at least one: how SQS, SNS and EventBridge bill a request or event. */
export const chunks64k = (bytes: number): number => Math.max(1, Math.ceil(bytes / 65_536));

/** S3 operations billed at the PUT, COPY, POST, LIST rate (tier 1); GET, HEAD and the rest are tier 2; DELETE is free. */
const S3_TIER1 = new Set([
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'ListObjectsV2',
  'ListObjects',
  'DeleteObjects',
  'CreateBucket',
  'PutBucketNotificationConfiguration',
]);
const S3_FREE = new Set(['DeleteObject', 'AbortMultipartUpload']);

export const countS3 = (usage: Usage, operation: string, bytesIn: number, bytesOut: number): void => {
  countCall(usage, 's3', operation);
  if (S3_TIER1.has(operation)) usage.s3.tier1 += 1;
  else if (!S3_FREE.has(operation)) usage.s3.tier2 += 1;
  usage.s3.bytesIn += bytesIn;
  usage.s3.bytesOut += bytesOut;
};

/** The S3 REST operation of a path-style request. */
export const s3Operation = (method: string, path: string, query: URLSearchParams, headers: Headers): string => {
  const hasKey = path.replace(/^\/+/, '').includes('/');
  switch (method) {
    case 'PUT':
      if (!hasKey) return 'CreateBucket';
      if (query.has('partNumber')) return 'UploadPart';
      if (headers.has('x-amz-copy-source')) return 'CopyObject';
      return 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      if (query.has('delete')) return 'DeleteObjects';
      return 'PostObject';
    case 'GET':
      if (!hasKey) return query.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects';
      return query.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return method;
  }
};

/** Adds one usage into another (the runner's Lambda figures into the boundary's). */
export const addLambda = (
  usage: Usage,
  invocation: { records: number; durationMs: number; memoryMb: number },
): void => {
  usage.lambda.invocations += 1;
  usage.lambda.records += invocation.records;
  const billedMs = Math.ceil(invocation.durationMs);
  usage.lambda.durationMs += billedMs;
  usage.lambda.gbSeconds += (invocation.memoryMb / 1024) * (billedMs / 1000);
};
