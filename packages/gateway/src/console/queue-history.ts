import { RingBuffer } from './ring-buffer.js';

/** One reading of one queue, as the console charts it. */
export interface QueueSample {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly oldestAgeSeconds: number;
}

export interface QueueReading {
  readonly name: string;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly oldestAgeSeconds: number;
}

export interface QueueHistoryOptions {
  /** Milliseconds between samples (default 10 s). */
  readonly intervalMs?: number;
  /** How far back the history reaches (default one hour). */
  readonly windowMs?: number;
}

/**
 * The last hour of queue depth and oldest-message age, sampled server-side into one small ring buffer per
 * queue, so that a console opened now shows the past hour too. Memory is fixed: window / interval samples.
 */
export class QueueHistory {
  readonly intervalMs: number;
  readonly windowMs: number;
  private readonly buffers = new Map<string, RingBuffer<QueueSample>>();

  constructor(options: QueueHistoryOptions = {}) {
    this.intervalMs = options.intervalMs ?? 10_000;
    this.windowMs = options.windowMs ?? 3_600_000;
  }

  private get capacity(): number {
    return Math.max(1, Math.ceil(this.windowMs / this.intervalMs));
  }

  record(at: number, readings: readonly QueueReading[]): void {
    for (const { name, visible, inFlight, delayed, oldestAgeSeconds } of readings) {
      let buffer = this.buffers.get(name);
      if (!buffer) {
        buffer = new RingBuffer<QueueSample>(this.capacity);
        this.buffers.set(name, buffer);
      }
      buffer.push({ at, visible, inFlight, delayed, oldestAgeSeconds });
    }
  }

  /** Each queue's samples within the window ending at `now`, oldest first. */
  snapshot(now: number): Record<string, QueueSample[]> {
    const since = now - this.windowMs;
    return Object.fromEntries(
      [...this.buffers].map(([name, buffer]) => [name, buffer.toArray().filter((s) => s.at >= since)]),
    );
  }
}
