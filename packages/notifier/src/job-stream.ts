import type { JobEvent } from '@delta-augment/core';

/** Where a stream's events go. */
export interface StreamSink {
  /** Sends an event; `paced` sends waited for {@link drained} and do not count against the slow-consumer limit. */
  send(event: JobEvent, paced: boolean): void;
  /** True while the connection's send buffer is too full to add queued or stored events to it. */
  congested(): boolean;
  /** Resolves once the send buffer has drained (or the connection has closed). */
  drained(): Promise<void>;
  /** More live events queued than the stream keeps; the connection is closed as a slow consumer. */
  overflow(): void;
  /** Reading the store failed; the stream has stopped and the client must subscribe again. */
  fail(jobId: string, error: unknown): void;
}

/** Reads the stored events of a job after a seq, in seq order (JobEventStore.read). */
export type ReadEvents = (jobId: string, afterSeq: number) => Promise<JobEvent[]>;

/** Time to wait before reading a gap a second time, for stores whose reads lag their writes. */
const GAP_RETRY_MS = 50;
/** Live events a busy stream queues before it gives up on the client. */
const MAX_PENDING = 10_000;

/**
 * The events of one job going to one connection, in `seq` order, each once.
 *
 * `lastSent` is the seq the client has. A live event at `lastSent + 1` is sent at once; an older
 * one is dropped; a newer one means events were missed, so the range after `lastSent` is read from
 * the store first. While a read is in flight, live events queue behind it, so catch-up and live
 * delivery never interleave. Stored and queued events are paced by the connection's send buffer
 * (a long history does not make a client look slow); only live events sent at once count against it.
 */
export class JobStream {
  private readonly pending: JobEvent[] = [];
  private busy = false;
  private active = true;
  private lastActivity = Date.now();
  /** The last event sent was terminal (and no redrive reopened the job since). */
  private finished = false;

  constructor(
    readonly jobId: string,
    private lastSent: number,
    /** Subscribed by id (true) or opened by a `"*"` subscription on the first live event (false). */
    readonly explicit: boolean,
    private readonly read: ReadEvents,
    private readonly sink: StreamSink,
  ) {}

  /** True while nothing is queued or being read. */
  get idle(): boolean {
    return !this.busy;
  }

  /** Sends the stored events after the start position, then what arrived live meanwhile. */
  catchUp(): void {
    void this.drain(true);
  }

  /** Offers a live event. */
  push(event: JobEvent): void {
    if (!this.active) return;
    if (!this.busy) {
      if (event.seq <= this.lastSent) return;
      if (event.seq === this.lastSent + 1) {
        this.emit(event, false);
        return;
      }
    }
    this.pending.push(event);
    if (this.pending.length > MAX_PENDING) {
      this.stop();
      this.sink.overflow();
      return;
    }
    if (!this.busy) void this.drain(false);
  }

  /**
   * Re-reads the store when the job has been quiet for `quietMs` without finishing, so that an event
   * whose publish was lost (bus outage, crashed publisher) still reaches the client.
   */
  refreshIfQuiet(quietMs: number, now = Date.now()): void {
    if (!this.active || this.busy || this.finished || now - this.lastActivity < quietMs) return;
    this.lastActivity = now;
    void this.drain(true);
  }

  /** Stops sending; queued events are dropped. */
  stop(): void {
    this.active = false;
    this.pending.length = 0;
  }

  private async drain(readFirst: boolean): Promise<void> {
    this.busy = true;
    try {
      if (readFirst) await this.fill();
      while (this.active) {
        const event = this.pending.shift();
        if (!event) break;
        if (event.seq <= this.lastSent) continue;
        if (event.seq > this.lastSent + 1) await this.fill();
        if (this.active && event.seq > this.lastSent + 1) {
          await new Promise((resolve) => setTimeout(resolve, GAP_RETRY_MS));
          await this.fill();
        }
        // The store is the record: if it still lacks the range, the live event is sent anyway.
        if (this.active && event.seq > this.lastSent) await this.emitPaced(event);
      }
    } catch (error) {
      if (this.active) {
        this.stop();
        this.sink.fail(this.jobId, error);
      }
    } finally {
      this.busy = false;
    }
  }

  private async fill(): Promise<void> {
    if (!this.active) return;
    const events = await this.read(this.jobId, this.lastSent);
    for (const event of events) {
      if (!this.active) return;
      if (event.seq > this.lastSent) await this.emitPaced(event);
    }
  }

  private async emitPaced(event: JobEvent): Promise<void> {
    if (this.sink.congested()) await this.sink.drained();
    if (this.active) this.emit(event, true);
  }

  private emit(event: JobEvent, paced: boolean): void {
    this.lastSent = event.seq;
    this.lastActivity = Date.now();
    if (event.type === 'JobCompleted' || event.type === 'JobFailed') this.finished = true;
    else if (event.type === 'SourceRedriven') this.finished = false;
    this.sink.send(event, paced);
  }
}
