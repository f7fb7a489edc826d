import { variantsRecorded } from '@delta-augment/core';
import { QueueHistory, type QueueReading } from './queue-history.js';
import { Throughput } from './throughput.js';

/** What the monitor reads: the queues' stats (the WorkQueue port) and the job events on the bus. */
export interface MonitorSources {
  readonly queue: {
    queues(): Promise<string[]>;
    stats(name: string): Promise<QueueReading & { readonly deadLetterQueue?: string }>;
  };
  readonly bus: {
    subscribe(listener: (event: { readonly type: string; readonly data?: unknown }) => void): () => void;
  };
  readonly now: () => number;
}

export interface MonitorOptions {
  /** Milliseconds between queue samples (CONSOLE_SAMPLE_SECONDS, default 10 s). */
  readonly sampleMs?: number;
  /** Throughput bucket width (default one minute). */
  readonly bucketMs?: number;
}

/**
 * Samples queue depth and age into a one-hour ring buffer, and counts throughput from the bus, for the
 * operator console. One per gateway process; memory is fixed (360 samples per queue, 60 buckets).
 */
export class ConsoleMonitor {
  readonly history: QueueHistory;
  readonly throughput: Throughput;
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly sources: MonitorSources,
    options: MonitorOptions = {},
  ) {
    this.history = new QueueHistory({ intervalMs: options.sampleMs ?? 10_000 });
    this.throughput = new Throughput(options.bucketMs ?? 60_000);
  }

  /** Takes one sample of every queue now. A queue that cannot be read is left out of this sample. */
  async sample(): Promise<void> {
    const names = await this.sources.queue.queues();
    const readings = await Promise.all(names.map((name) => this.sources.queue.stats(name).catch(() => undefined)));
    this.history.record(
      this.sources.now(),
      readings.filter((r): r is NonNullable<typeof r> => r !== undefined),
    );
  }

  start(): void {
    if (this.timer) return;
    this.unsubscribe = this.sources.bus.subscribe((event) => {
      const at = this.sources.now();
      const variants = variantsRecorded(event);
      if (variants > 0) this.throughput.record('variants', variants, at);
      else if (event.type === 'JobCreated') this.throughput.record('jobsStarted', 1, at);
      else if (event.type === 'JobCompleted') this.throughput.record('jobsCompleted', 1, at);
      else if (event.type === 'JobFailed') this.throughput.record('jobsFailed', 1, at);
    });
    void this.sample().catch(() => undefined);
    this.timer = setInterval(() => void this.sample().catch(() => undefined), this.history.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

/** The console's alert conditions for one queue: a non-empty DLQ, or an oldest message past the threshold. */
export const queueAlerts = (
  stats: { readonly oldestAgeSeconds: number; readonly deadLetterQueue?: string },
  deadLetterDepth: number | undefined,
  oldestAgeThresholdSeconds: number,
): string[] => {
  const alerts: string[] = [];
  if (stats.deadLetterQueue && (deadLetterDepth ?? 0) > 0) {
    alerts.push(`${deadLetterDepth} in dead-letter queue ${stats.deadLetterQueue}`);
  }
  if (stats.oldestAgeSeconds > oldestAgeThresholdSeconds) {
    alerts.push(
      `oldest message ${Math.round(stats.oldestAgeSeconds)} s old (threshold ${oldestAgeThresholdSeconds} s)`,
    );
  }
  return alerts;
};
