import { RingBuffer } from './ring-buffer.js';

export type ThroughputKind = 'variants' | 'jobsStarted' | 'jobsCompleted' | 'jobsFailed';

/** Counts of one time bucket. */
export interface ThroughputBucket {
  /** Bucket start, epoch milliseconds. */
  readonly at: number;
  readonly variants: number;
  readonly jobsStarted: number;
  readonly jobsCompleted: number;
  readonly jobsFailed: number;
}

type MutableBucket = { -readonly [K in keyof ThroughputBucket]: ThroughputBucket[K] };

/**
 * Work done per time bucket over the last hour (variants written, jobs started, completed and failed),
 * counted from the job events this process sees on the bus. Fixed memory: one bucket per `bucketMs`.
 */
export class Throughput {
  private readonly buckets: RingBuffer<MutableBucket>;
  private current: MutableBucket | undefined;

  constructor(
    readonly bucketMs = 60_000,
    readonly windowMs = 3_600_000,
  ) {
    this.buckets = new RingBuffer(Math.max(1, Math.ceil(windowMs / bucketMs)));
  }

  record(kind: ThroughputKind, count: number, at: number): void {
    const start = at - (at % this.bucketMs);
    if (!this.current || this.current.at < start) {
      this.current = { at: start, variants: 0, jobsStarted: 0, jobsCompleted: 0, jobsFailed: 0 };
      this.buckets.push(this.current);
    }
    // An event stamped in an earlier bucket (clock skew between processes) counts in the current one.
    this.current[kind] += count;
  }

  /** The buckets of the window ending at `now`, oldest first, with empty buckets filled in. */
  snapshot(now: number): ThroughputBucket[] {
    const end = now - (now % this.bucketMs);
    const first = end - (this.buckets.capacity - 1) * this.bucketMs;
    const byStart = new Map(this.buckets.toArray().map((b) => [b.at, b]));
    const out: ThroughputBucket[] = [];
    for (let at = first; at <= end; at += this.bucketMs) {
      out.push({ ...(byStart.get(at) ?? { at, variants: 0, jobsStarted: 0, jobsCompleted: 0, jobsFailed: 0 }) });
    }
    return out;
  }
}
