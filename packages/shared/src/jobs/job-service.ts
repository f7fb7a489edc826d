import { isConcurrencyError } from '../errors.js';
import type { EventBus } from '../event-bus/port.js';
import type { JobEventStore } from '../job-event-store/port.js';
import type { JobEvent, JobEventBody } from './events.js';
import type { JobState } from './state.js';

const MAX_ATTEMPTS = 50;

/**
 * Runs a decision against the current state of a job and appends what it decides, re-reading and
 * re-deciding on a concurrency conflict. Appended events are then published on the bus.
 */
export class JobService {
  constructor(
    private readonly store: JobEventStore,
    private readonly bus: EventBus,
  ) {}

  load(jobId: string): Promise<JobState | undefined> {
    return this.store.load(jobId);
  }

  async update(
    jobId: string,
    decide: (state: JobState | undefined) => readonly JobEventBody[],
  ): Promise<{ state: JobState | undefined; events: JobEvent[] }> {
    for (let attempt = 1; ; attempt++) {
      const state = await this.store.load(jobId);
      const bodies = decide(state);
      if (bodies.length === 0) return { state, events: [] };
      try {
        const events = await this.store.append(jobId, state?.version ?? 0, bodies);
        await this.bus.publish(events).catch(() => undefined);
        return { state: await this.store.load(jobId), events };
      } catch (error) {
        if (!isConcurrencyError(error) || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 5)));
      }
    }
  }

  /** Like `update` for a job that must exist: a missing job yields no events. */
  updateExisting(jobId: string, decide: (state: JobState) => readonly JobEventBody[]) {
    return this.update(jobId, (state) => (state ? decide(state) : []));
  }
}
