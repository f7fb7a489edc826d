import type { Clock, JobStatus } from '@delta-augment/core';
import type { JobEventStore } from '@delta-augment/ports';

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets of the request histogram, in seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;

/**
 * The process's default metrics (CPU, memory, event-loop lag, GC, handles; `process_*` and `nodejs_*`),
 * collected once per process however many gateways it builds (tests build many).
 */
const processMetrics = (): Registry => {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
};

/**
 * One gateway's metrics in a prom-client registry of its own: request latency, jobs created, variants
 * produced and jobs finished (as seen on the event bus), and the gauges `/metrics` sets when scraped
 * (jobs by status, each queue's depth). `render` adds the process's default metrics.
 */
export const createMetrics = () => {
  const registry = new Registry();
  const register = [registry];
  const queueGauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ['queue'], registers: register });
  return {
    requests: new Histogram({
      name: 'delta_http_request_duration_seconds',
      help: 'HTTP request latency by route, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: BUCKETS,
      registers: register,
    }),
    jobsCreated: new Counter({
      name: 'delta_jobs_created_total',
      help: 'Jobs accepted by this gateway',
      registers: register,
    }),
    variantsProduced: new Counter({
      name: 'delta_variants_produced_total',
      help: 'Variants written, as seen on the event bus',
      registers: register,
    }),
    jobsFinished: new Counter({
      name: 'delta_jobs_finished_total',
      help: 'Jobs that reached a terminal state, by status',
      labelNames: ['status'],
      registers: register,
    }),
    jobs: new Gauge({
      name: 'delta_jobs',
      help: `Jobs by status (counted up to ${JOB_COUNT_CAP} per status)`,
      labelNames: ['status'],
      registers: register,
    }),
    queueVisible: queueGauge('delta_queue_visible_messages', 'Messages waiting in each queue'),
    queueInFlight: queueGauge('delta_queue_in_flight_messages', 'Messages being processed'),
    queueDelayed: queueGauge('delta_queue_delayed_messages', 'Messages delayed before they become visible'),
    queueOldestAge: queueGauge('delta_queue_oldest_message_age_seconds', 'Age of the oldest message'),
    /** The Prometheus text format (0.0.4) of this gateway's metrics and the process's. */
    render: async (): Promise<string> => {
      const [own, process] = await Promise.all([registry.metrics(), processMetrics().metrics()]);
      return `${own}\n${process}`;
    },
    contentType: registry.contentType,
  };
};

export type Metrics = ReturnType<typeof createMetrics>;

/** Jobs counted per status at most, by paging the job query (the JobEventStore port has no count). */
export const JOB_COUNT_CAP = 500;

/**
 * Counts jobs by status with bounded queries (at most `cap` per status, 100 per page), cached for
 * `ttlMs` so that frequent scrapes cost one count per interval.
 */
export const jobsByStatusCounter = (
  events: Pick<JobEventStore, 'query'>,
  clock: Clock,
  options: { cap?: number; ttlMs?: number } = {},
) => {
  const cap = options.cap ?? JOB_COUNT_CAP;
  const ttlMs = options.ttlMs ?? 15_000;
  let cached: { at: number; counts: Promise<Record<JobStatus, number>> } | undefined;
  const countOne = async (status: JobStatus): Promise<number> => {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await events.query({ status, limit: Math.min(100, cap - count), cursor });
      count += page.items.length;
      cursor = page.cursor;
    } while (cursor && count < cap);
    return count;
  };
  return (): Promise<Record<JobStatus, number>> => {
    const now = clock.now();
    if (!cached || now - cached.at >= ttlMs) {
      const counts = Promise.all(JOB_STATUSES.map(countOne)).then(
        (values) => Object.fromEntries(JOB_STATUSES.map((s, i) => [s, values[i] ?? 0])) as Record<JobStatus, number>,
      );
      cached = { at: now, counts };
      counts.catch(() => {
        cached = undefined;
      });
    }
    return cached.counts;
  };
};

export const JOB_STATUSES: readonly JobStatus[] = ['created', 'queued', 'processing', 'completed', 'failed'];
