import type { VariantRecord } from '@delta-augment/core';

/**
 * Collects the variants of one source as they are written and records them in batches: when `maxCount`
 * are waiting or `maxDelayMs` after the first of a batch, whichever comes first. Batches are recorded one
 * at a time, in order, so the store sees O(batches) appends instead of one per variant while progress
 * still reaches live clients a few times a second.
 */
export class VariantBatcher {
  private pending: VariantRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly record: (variants: readonly VariantRecord[]) => Promise<void>,
    private readonly maxCount: number,
    private readonly maxDelayMs: number,
  ) {}

  /** Queues a written variant; throws if an earlier batch could not be recorded. */
  add(variant: VariantRecord): void {
    if (this.failure !== undefined) throw this.failure;
    this.pending.push(variant);
    if (this.pending.length >= this.maxCount) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.chain = this.chain
      .then(() => (this.failure === undefined ? this.record(batch) : undefined))
      .catch((error: unknown) => {
        this.failure ??= error;
      });
  }

  /** Records what is still waiting and resolves when every batch is recorded (rejects if one was not). */
  async close(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }
}
