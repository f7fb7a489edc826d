import type { Clock, JobStatus } from '@delta-augment/core';
import type { JobEventStore } from '@delta-augment/ports';

/** A minimal Prometheus text-format registry: counters, gauges and one latency histogram. */

type Labels = Readonly<Record<string, string>>;

const labelText = (labels: Labels): string => {
  const entries = Object.entries(labels);
  return entries.length ? `{${entries.map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',')}}` : '';
};

export class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    this.values.set(key, (this.values.get(key) ?? 0) + by);
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.values.size === 0) lines.push(`${this.name} 0`);
    for (const [labels, value] of this.values) lines.push(`${this.name}${labels} ${value}`);
    return lines.join('\n');
  }
}

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    for (const [i, bound] of BUCKETS.entries()) if (seconds <= bound) s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += seconds;
    s.count += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      for (const [i, bound] of BUCKETS.entries()) {
        lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(bound) })} ${s.counts[i]}`);
      }
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export const gauge = (name: string, help: string, samples: readonly { labels: Labels; value: number }[]): string =>
  [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} gauge`,
    ...samples.map((s) => `${name}${labelText(s.labels)} ${s.value}`),
  ].join('\n');

export const createMetrics = () => ({
  requests: new Histogram('delta_http_request_duration_seconds', 'HTTP request latency by route, method and status'),
  jobsCreated: new Counter('delta_jobs_created_total', 'Jobs accepted by this gateway'),
  variantsProduced: new Counter('delta_variants_produced_total', 'Variants written, as seen on the event bus'),
  jobsFinished: new Counter('delta_jobs_finished_total', 'Jobs that reached a terminal state, by status'),
});

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
