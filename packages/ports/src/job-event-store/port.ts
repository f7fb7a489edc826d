import {
  DeltaError,
  type JobEvent,
  type JobEventBody,
  type JobState,
  type JobStatus,
  type SourceEventBody,
  type SourceState,
} from '@delta-augment/core';

export interface JobQuery {
  readonly owner?: string;
  readonly status?: JobStatus;
  readonly tag?: string;
  /** ISO date-times bounding `createdAt`. */
  readonly createdAfter?: string;
  readonly createdBefore?: string;
  /** 1..100, default 20. */
  readonly limit?: number;
  /** Opaque, from a previous page. */
  readonly cursor?: string;
}

export interface JobPage {
  /** Newest first. */
  readonly items: readonly JobState[];
  readonly cursor?: string;
}

/** One page of a job's sources, in creation order. */
export interface SourcePage {
  readonly items: readonly SourceState[];
  /** Opaque, for the next page; absent on the last page. */
  readonly cursor?: string;
}

/** What an append leaves behind: the stored events and the records they changed. */
export interface Appended {
  readonly events: JobEvent[];
  /** The job record after the append. */
  readonly job: JobState;
}

/**
 * Event-sourced job storage, with one stream of events per job (gap-free `seq`) and small records kept in
 * step with it: one per job (counters updated commutatively) and one per source. The store only stores:
 * decisions are the core's (`decideJob`, `decideSource`); the store applies the core's folds.
 *
 * - `appendToJob(jobId, expectedVersion, events)`: job-level events (creation with `expectedVersion` 0,
 *   a dataset expansion, finalisation). Fails with `ConcurrencyError` when the job's last seq is no longer
 *   `expectedVersion`. Source events may ride along only for sources that a `SourcesAdded` of the same step
 *   names (a step: a job-level event and the source events after it). A store may commit a long append in
 *   several atomic parts, each ending at a step boundary (DynamoDB: one transaction of at most 100 items);
 *   when one part fails after others were stored it throws `PartialAppendError` with the stored events, and
 *   the job record is then exactly the fold of the stream as stored (no part is ever half written).
 * - `appendToSource(jobId, sourceId, expectedVersion, events)`: events of one source. Fails with
 *   `ConcurrencyError` when that source's version moved on; never because other sources of the job moved
 *   (their appends only add to the job's counters and take the next seqs).
 */
export interface JobEventStore {
  appendToJob(jobId: string, expectedVersion: number, events: readonly JobEventBody[]): Promise<Appended>;
  appendToSource(
    jobId: string,
    sourceId: string,
    expectedVersion: number,
    events: readonly SourceEventBody[],
  ): Promise<Appended & { readonly source: SourceState }>;
  /** The job's events in seq order after `afterSeq`, at most `limit` (default: all). */
  read(jobId: string, afterSeq?: number, limit?: number): Promise<JobEvent[]>;
  /** The job record (constant size), or undefined. */
  load(jobId: string): Promise<JobState | undefined>;
  loadSource(jobId: string, sourceId: string): Promise<SourceState | undefined>;
  /** The job's sources in creation order, by page (limit 1..1000, default 100). */
  sources(jobId: string, page?: { readonly limit?: number; readonly cursor?: string }): Promise<SourcePage>;
  query(query: JobQuery): Promise<JobPage>;
  /** Ids of jobs whose `expiresAt` is before `now`. */
  expired(now: string, limit: number): Promise<string[]>;
  /** Removes the stream and its records. */
  delete(jobId: string): Promise<void>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * A multi-part append stopped after some of its parts were stored: `committed` are their events (publish
 * them), and `code` is that of the failure that stopped it (`CONCURRENCY_CONFLICT` when another writer moved
 * the job on), so callers that retry on a conflict still do.
 */
export class PartialAppendError extends DeltaError {
  constructor(
    readonly committed: readonly JobEvent[],
    failure: DeltaError,
  ) {
    super(failure.code, `${failure.message} (after ${committed.length} events were stored)`, { cause: failure });
    this.name = 'PartialAppendError';
  }
}

export const encodeCursor = (createdAt: string, id: string): string =>
  Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');

export const decodeCursor = (cursor: string): [string, string] | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return [value[0] as string, value[1] as string];
    }
  } catch {
    // falls through: an unreadable cursor is reported as undefined
  }
  return undefined;
};
