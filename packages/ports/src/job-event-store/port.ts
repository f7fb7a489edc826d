import type { JobEvent, JobEventBody, JobState, JobStatus } from '@delta-augment/core';

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

/**
 * Event-sourced job storage. Appends use optimistic concurrency on `seq`:
 * `append` throws `ConcurrencyError` when the stream is no longer at `expectedVersion`.
 */
export interface JobEventStore {
  append(jobId: string, expectedVersion: number, events: readonly JobEventBody[]): Promise<JobEvent[]>;
  /** The job's events in seq order, optionally only those after `afterSeq`. */
  read(jobId: string, afterSeq?: number): Promise<JobEvent[]>;
  /** The projected state (kept in step with every append), or undefined. */
  load(jobId: string): Promise<JobState | undefined>;
  query(query: JobQuery): Promise<JobPage>;
  /** Ids of jobs whose `expiresAt` is before `now`. */
  expired(now: string, limit: number): Promise<string[]>;
  /** Removes the stream and its projection. */
  delete(jobId: string): Promise<void>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
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
