import type { JobEvent, JobEventBody } from '@delta-augment/core';
import { evolve, isConcurrencyError, type JobState } from '@delta-augment/core';
import type { EventBus } from './event-bus/port.js';
import type { JobEventStore } from './job-event-store/port.js';

const MAX_ATTEMPTS = 50;
/** Pause before each retry of a failed publish; `undefined` marks the last attempt. */
const PUBLISH_RETRY_PAUSES_MS = [100, 1000, undefined] as const;

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
        await this.publish(events);
        // The appended events folded onto the state they were decided on: the store's projection, without reading it again.
        return { state: events.reduce<JobState | undefined>(evolve, state), events };
      } catch (error) {
        if (!isConcurrencyError(error) || attempt >= MAX_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 5)));
      }
    }
  }

  /**
   * Publishes appended events, retrying a failed publish twice (after 0.1 s and 1 s): the store is the
   * record, but a subscriber learns of a job's *last* event only from the bus, so a lost publish of a
   * terminal event would leave it waiting. A publish that still fails is given up (the append stands).
   */
  private async publish(events: readonly JobEvent[]): Promise<void> {
    for (const pauseMs of PUBLISH_RETRY_PAUSES_MS) {
      try {
        await this.bus.publish(events);
        return;
      } catch {
        if (pauseMs === undefined) return;
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  }

  /** Like `update` for a job that must exist: a missing job yields no events. */
  updateExisting(jobId: string, decide: (state: JobState) => readonly JobEventBody[]) {
    return this.update(jobId, (state) => (state ? decide(state) : []));
  }
}
