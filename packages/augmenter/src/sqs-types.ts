/** The SQS event shapes of the Lambda event source mapping (the subset the handler reads). */

export interface SQSRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: {
    readonly ApproximateReceiveCount: string;
    readonly SentTimestamp: string;
    readonly ApproximateFirstReceiveTimestamp: string;
    readonly SenderId?: string;
  };
  readonly messageAttributes: Readonly<Record<string, unknown>>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export interface SQSEvent {
  readonly Records: readonly SQSRecord[];
}

export interface SQSBatchResponse {
  readonly batchItemFailures: readonly { readonly itemIdentifier: string }[];
}

export type SQSHandler = (event: SQSEvent, context?: HandlerContext) => Promise<SQSBatchResponse>;

/**
 * What the invoker passes besides the event. Lambda's Node context tells the time left through
 * `getRemainingTimeInMillis()` (it carries no abort signal); the local worker pool passes both.
 */
export interface HandlerContext {
  /** Milliseconds until the invocation is killed (Lambda context). */
  readonly getRemainingTimeInMillis?: () => number;
  /** Fires when the invoker gives up on the invocation (local worker pool). */
  readonly signal?: AbortSignal;
}
