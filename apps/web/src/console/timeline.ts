import { variantsRecorded } from '@delta-augment/core';
import type { StoredEventView } from './types.js';

export interface TimelineEntry {
  readonly seq: number;
  readonly type: string;
  readonly at: string;
  /** Milliseconds since the job's first event. */
  readonly sinceStartMs: number;
  /** Milliseconds since the previous event (0 for the first). */
  readonly sincePreviousMs: number;
  readonly detail: string;
}

const detailOf = (event: StoredEventView): string => {
  const data = event.data ?? {};
  const parts: string[] = [];
  for (const name of ['sourceId', 'reason', 'attempt', 'count', 'variants', 'failedSources', 'bytes']) {
    const value = data[name];
    if (typeof value === 'string' || typeof value === 'number') parts.push(`${name} ${value}`);
    else if (Array.isArray(value)) parts.push(`${name} ${value.length}`);
  }
  return parts.join(', ');
};

/** The job's events as a vertical timeline: timestamps and the time between events. */
export const timelineOf = (events: readonly StoredEventView[]): TimelineEntry[] => {
  const start = events.length ? Date.parse(events[0]?.at ?? '') : 0;
  let previous = start;
  return events.map((event) => {
    const at = Date.parse(event.at);
    const entry = {
      seq: event.seq,
      type: event.type,
      at: event.at,
      sinceStartMs: at - start,
      sincePreviousMs: at - previous,
      detail: detailOf(event),
    };
    previous = at;
    return entry;
  });
};

/** Variants done over time: [epoch ms, cumulative count] at every event that adds variants. */
export const variantsOverTime = (events: readonly StoredEventView[]): [number, number][] => {
  let done = 0;
  const points: [number, number][] = [];
  const first = events[0];
  if (first) points.push([Date.parse(first.at), 0]);
  for (const event of events) {
    const added = variantsRecorded(event);
    if (added === 0) continue;
    done += added;
    points.push([Date.parse(event.at), done]);
  }
  return points;
};

/** A duration for people: 850 ms, 4.2 s, 3 min 5 s, 2 h 4 min. */
export const formatDuration = (ms: number): string => {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
};
