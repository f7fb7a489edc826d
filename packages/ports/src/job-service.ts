import {
  decideJob,
  decideSource,
  isConcurrencyError,
  type JobCommand,
  type JobEvent,
  type JobState,
  type SourceCommand,
  type SourceState,
} from '@delta-augment/core';
import type { EventBus } from './event-bus/port.js';
import { type JobEventStore, PartialAppendError } from './job-event-store/port.js';

const MAX_ATTEMPTS = 20;
/** Pause before each retry of a failed publish; `undefined` marks the last attempt. */
const PUBLISH_RETRY_PAUSES_MS = [100, 1000, undefined] as const;

const pause = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, attempt * 5)));

/**
 * Runs commands against a job's aggregates: reads the aggregate (the small job record, or one source),
 * decides with the core's `decideJob` / `decideSource`, appends what was decided and publishes it on the
 * bus. A conflict (the aggregate moved on since it was read) re-reads and re-decides; since each source is
 * its own aggregate, workers on different sources of a job never conflict.
 */
export class JobService {
  /** Conflicts retried since this service was built (for benchmarks and metrics). */
  conflictRetries = 0;

  constructor(
    private readonly store: JobEventStore,
    private readonly bus: EventBus,
  ) {}

  load(jobId: string): Promise<JobState | undefined> {
    return this.store.load(jobId);
  }

  loadSource(jobId: string, sourceId: string): Promise<SourceState | undefined> {
    return this.store.loadSource(jobId, sourceId);
  }

  /** One page of the job's sources. */
  sources(jobId: string, page?: { readonly limit?: number; readonly cursor?: string }) {
    return this.store.sources(jobId, page);
  }

  /** The job's events after `afterSeq`, at most `limit`. */
  read(jobId: string, afterSeq?: number, limit?: number): Promise<JobEvent[]> {
    return this.store.read(jobId, afterSeq, limit);
  }

  /**
   * A command to the job aggregate (create, expand a dataset zip, finalise). A conflict re-reads the job and
   * decides again, so an expansion that another worker advanced meanwhile decides only what is still missing.
   */
  async handleJob(jobId: string, command: JobCommand): Promise<{ job: JobState | undefined; events: JobEvent[] }> {
    for (let attempt = 1; ; attempt++) {
      const job = command.type === 'CreateJob' ? undefined : await this.store.load(jobId);
      const bodies = decideJob(command, job);
      if (bodies.length === 0) return { job: job ?? (await this.store.load(jobId)), events: [] };
      try {
        const appended = await this.store.appendToJob(jobId, job?.version ?? 0, bodies);
        await this.publish(appended.events);
        return appended;
      } catch (error) {
        // The parts stored before a multi-part append stopped are events like any other: publish them.
        if (error instanceof PartialAppendError) await this.publish(error.committed);
        if (!isConcurrencyError(error) || attempt >= MAX_ATTEMPTS || command.type === 'CreateJob') throw error;
        this.conflictRetries++;
        await pause(attempt);
      }
    }
  }

  /**
   * A command to one source of a job. Resolves with the source and the job record after it (the job only
   * when something was appended); a job or source that does not exist yields no events.
   */
  async handleSource(
    jobId: string,
    sourceId: string,
    command: SourceCommand,
    known?: SourceState,
  ): Promise<{ source: SourceState | undefined; job?: JobState; events: JobEvent[] }> {
    let source = known;
    for (let attempt = 1; ; attempt++) {
      source ??= await this.store.loadSource(jobId, sourceId);
      if (!source) return { source, events: [] };
      const bodies = decideSource(command, source);
      if (bodies.length === 0) return { source, events: [] };
      try {
        const appended = await this.store.appendToSource(jobId, sourceId, source.version, bodies);
        await this.publish(appended.events);
        return appended;
      } catch (error) {
        if (!isConcurrencyError(error) || attempt >= MAX_ATTEMPTS) throw error;
        this.conflictRetries++;
        source = undefined;
        await pause(attempt);
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
}
