import type { WorkQueue } from './port.js';

/** Where a redrive task is: `idle` before its first start, `cancelled` when stopped between batches. */
export type RedriveState = 'idle' | 'running' | 'cancelled' | 'completed' | 'failed';

export interface RedriveStatus {
  readonly state: RedriveState;
  /** Messages this task moved back to their source queue, over all its starts. */
  readonly moved: number;
  /**
   * Messages still to move at the last count: the dead-letter queue's depth, or (for a task given
   * message ids) the ids not tried yet.
   */
  readonly remaining: number;
  /** Why the last run failed (state `failed`). */
  readonly error?: string;
}

export interface RedriveTaskOptions {
  /** Messages moved per call to `WorkQueue.redrive`, default 10. Cancelling takes effect between batches. */
  readonly batchSize?: number;
  /** Only these messages (by id); by default every message of the dead-letter queue. */
  readonly messageIds?: readonly string[];
  /** Called after every batch with the status so far. */
  readonly onBatch?: (status: RedriveStatus) => void;
}

/**
 * A cancellable redrive of a dead-letter queue, in batches, on top of the `WorkQueue` port (whose own
 * `redrive` moves everything in one call). Each batch is one `redrive` call, so it is moved whole or not
 * at all; `cancel()` stops the task before its next batch, and `start()` again resumes where it stopped.
 * Messages already moved are never moved twice: they are no longer in the dead-letter queue.
 */
export class RedriveTask {
  private readonly batchSize: number;
  private readonly pendingIds: string[] | undefined;
  private current: RedriveStatus;
  private run: Promise<RedriveStatus> | undefined;
  private cancelRequested = false;

  constructor(
    private readonly queue: WorkQueue,
    readonly deadLetterQueue: string,
    private readonly options: RedriveTaskOptions = {},
  ) {
    const size = options.batchSize ?? 10;
    if (!Number.isInteger(size) || size < 1) throw new RangeError('batchSize must be a positive integer');
    this.batchSize = size;
    this.pendingIds = options.messageIds ? [...new Set(options.messageIds)] : undefined;
    this.current = { state: 'idle', moved: 0, remaining: this.pendingIds?.length ?? 0 };
  }

  /** The status now (a copy). */
  status(): RedriveStatus {
    return { ...this.current };
  }

  /**
   * Runs (or resumes) the redrive until the dead-letter queue holds nothing more to move, or until
   * `cancel()`. Starting a running task returns its current run. Resolves with the final status; a
   * failing `redrive` call ends the run in state `failed` (start again to retry).
   */
  start(): Promise<RedriveStatus> {
    if (this.run) return this.run;
    this.cancelRequested = false;
    this.current = { ...this.current, state: 'running', error: undefined };
    this.run = this.loop().finally(() => {
      this.run = undefined;
    });
    return this.run;
  }

  /** Stops the task before its next batch; the batch in progress, if any, completes. */
  cancel(): void {
    if (this.run) this.cancelRequested = true;
  }

  private async loop(): Promise<RedriveStatus> {
    try {
      for (;;) {
        if (this.cancelRequested) return this.finish('cancelled');
        const moved = await this.batch();
        const done = this.pendingIds ? this.pendingIds.length === 0 : moved === 0;
        this.current = { ...this.current, moved: this.current.moved + moved, remaining: await this.remaining() };
        this.options.onBatch?.(this.status());
        if (done || (!this.pendingIds && moved < this.batchSize)) return this.finish('completed');
      }
    } catch (error) {
      this.current = {
        ...this.current,
        state: 'failed',
        error: error instanceof Error ? error.message : String(error),
      };
      return this.status();
    }
  }

  private async batch(): Promise<number> {
    if (!this.pendingIds) {
      return (await this.queue.redrive(this.deadLetterQueue, { maxMessages: this.batchSize })).moved;
    }
    const ids = this.pendingIds.slice(0, this.batchSize);
    if (ids.length === 0) return 0;
    const { moved } = await this.queue.redrive(this.deadLetterQueue, { messageIds: ids });
    this.pendingIds.splice(0, ids.length);
    return moved;
  }

  private async remaining(): Promise<number> {
    if (this.pendingIds) return this.pendingIds.length;
    const stats = await this.queue.stats(this.deadLetterQueue);
    return stats.visible + stats.inFlight + stats.delayed;
  }

  private finish(state: 'cancelled' | 'completed'): RedriveStatus {
    this.current = { ...this.current, state };
    return this.status();
  }
}
