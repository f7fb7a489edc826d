/** A received message, shaped like an SQS message. */
export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: {
    readonly ApproximateReceiveCount: string;
    readonly SentTimestamp: string;
    readonly ApproximateFirstReceiveTimestamp: string;
  };
}

export interface ReceiveOptions {
  /** 1..10, default 1. */
  readonly maxMessages?: number;
  /** Long polling: 0..20 s, default 0. */
  readonly waitTimeSeconds?: number;
  /** Overrides the queue's default visibility timeout for these messages. */
  readonly visibilityTimeoutSeconds?: number;
  /** Stops a long poll early (graceful shutdown). */
  readonly signal?: AbortSignal;
}

export interface QueueStats {
  readonly name: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  /** Age in seconds of the oldest message, 0 when empty. */
  readonly oldestAgeSeconds: number;
  readonly deadLetterQueue?: string;
  readonly maxReceiveCount?: number;
  readonly visibilityTimeoutSeconds: number;
}

export interface PeekedMessage {
  readonly messageId: string;
  readonly body: string;
  readonly receiveCount: number;
  readonly sentAt: string;
}

/** Result of a redrive: how many messages went back to their source queue. */
export interface RedriveResult {
  readonly moved: number;
}

/**
 * SQS semantics: at-least-once delivery, visibility timeout, receive count,
 * redrive to a dead-letter queue after `maxReceiveCount`, delete by receipt handle, retention.
 */
export interface WorkQueue {
  send(queue: string, body: string, options?: { delaySeconds?: number }): Promise<{ messageId: string }>;
  receive(queue: string, options?: ReceiveOptions): Promise<QueueMessage[]>;
  /** Throws `ReceiptHandleError` when the handle is not the message's current one. */
  changeVisibility(queue: string, receiptHandle: string, timeoutSeconds: number): Promise<void>;
  /** Deletes by receipt handle. A stale handle of a message received again since is ignored. */
  delete(queue: string, receiptHandle: string): Promise<void>;
  /** Queue names this adapter serves. */
  queues(): Promise<string[]>;
  stats(queue: string): Promise<QueueStats>;
  /** Reads messages without receiving them (no receive count change). */
  peek(queue: string, options?: { max?: number }): Promise<PeekedMessage[]>;
  /** Moves dead-lettered messages (all, or those ids) back to the queue they came from. */
  redrive(
    deadLetterQueue: string,
    options?: { messageIds?: readonly string[]; maxMessages?: number },
  ): Promise<RedriveResult>;
  purge(queue: string): Promise<void>;
  close(): Promise<void>;
}

export interface QueueConfig {
  readonly visibilityTimeoutSeconds: number;
  /** Messages older than this are dropped (SQS default 4 days). */
  readonly retentionSeconds: number;
  readonly deadLetter?: { readonly queue: string; readonly maxReceiveCount: number };
}
