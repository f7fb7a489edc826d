/** Shapes of the admin API as the console reads them. */

export interface QueueStatsView {
  readonly name: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly oldestAgeSeconds: number;
  readonly deadLetterQueue?: string;
  readonly deadLetterQueueDepth?: number;
  readonly maxReceiveCount?: number;
}

export interface QueueSampleView {
  readonly at: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly oldestAgeSeconds: number;
}

export interface ThroughputBucketView {
  readonly at: number;
  readonly variants: number;
  readonly jobsStarted: number;
  readonly jobsCompleted: number;
  readonly jobsFailed: number;
}

export interface ConsoleOverview {
  readonly queues: readonly (QueueStatsView & { readonly alerts: readonly string[] })[];
  readonly history: Readonly<Record<string, readonly QueueSampleView[]>>;
  readonly throughput: { readonly bucketSeconds: number; readonly buckets: readonly ThroughputBucketView[] };
  readonly thresholds: { readonly oldestAgeSeconds: number };
}

export interface DeadLetterView {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly sentAt: string;
  readonly kind: string;
  readonly jobId?: string;
  readonly sourceId?: string;
  readonly sourceName?: string;
  readonly owner?: string;
  readonly failureReason?: string;
  readonly thumbnail?: string;
}

export interface RedriveTaskView {
  readonly queue: string;
  readonly state: 'idle' | 'running' | 'cancelled' | 'completed' | 'failed';
  readonly moved: number;
  readonly remaining?: number;
  readonly error?: string;
}

export interface OwnerUsageView {
  readonly owner: string;
  readonly usage: { readonly jobsToday: number; readonly variantsToday: number; readonly bytesStored: number };
  readonly limits: { readonly jobsPerDay: number; readonly variantsPerDay: number; readonly bytesStored: number };
}

export interface AdminJobView {
  readonly id: string;
  readonly owner?: string;
  readonly status: string;
  readonly progress: { readonly done: number; readonly total: number };
  readonly tags: readonly string[];
  readonly createdAt: string;
}

export interface StoredEventView {
  readonly type: string;
  readonly seq: number;
  readonly at: string;
  readonly data?: Readonly<Record<string, unknown>>;
}
