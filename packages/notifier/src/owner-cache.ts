import type { JobEvent } from '@delta-augment/core';
import type { JobEventStore } from '@delta-augment/ports';

const DEFAULT_CAPACITY = 10_000;

/**
 * Owner of each job, loaded from the store's projection once and kept (a job never changes owner).
 * Bounded: the least recently used entries go first. Unknown jobs are not cached, as they may be
 * created later.
 */
export class OwnerCache {
  private readonly owners = new Map<string, string>();
  private readonly loading = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly store: Pick<JobEventStore, 'load'>,
    private readonly capacity = DEFAULT_CAPACITY,
  ) {}

  /** The cached owner, without touching the store. */
  peek(jobId: string): string | undefined {
    const owner = this.owners.get(jobId);
    if (owner !== undefined) {
      this.owners.delete(jobId);
      this.owners.set(jobId, owner);
    }
    return owner;
  }

  /** Learns the owner from a JobCreated event, which carries it. */
  learn(event: JobEvent): void {
    if (event.type === 'JobCreated') this.remember(event.jobId, event.data.owner);
  }

  /** The owner, from the cache or the store; undefined when the job does not exist. Store errors propagate. */
  async load(jobId: string): Promise<string | undefined> {
    const cached = this.peek(jobId);
    if (cached !== undefined) return cached;
    let pending = this.loading.get(jobId);
    if (!pending) {
      pending = this.store.load(jobId).then(
        (state) => {
          this.loading.delete(jobId);
          if (state) this.remember(jobId, state.owner);
          return state?.owner;
        },
        (error: unknown) => {
          this.loading.delete(jobId);
          throw error;
        },
      );
      this.loading.set(jobId, pending);
    }
    return pending;
  }

  private remember(jobId: string, owner: string): void {
    this.owners.delete(jobId);
    this.owners.set(jobId, owner);
    if (this.owners.size > this.capacity) {
      const oldest = this.owners.keys().next();
      if (!oldest.done) this.owners.delete(oldest.value);
    }
  }
}
