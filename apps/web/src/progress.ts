import {
  countsDelta,
  evolveSource,
  indicesOf,
  isSourceEvent,
  type JobEventBody,
  type SourceState,
  withIndices,
} from '@delta-augment/core';
import type { JobEventMessage, JobStatus, JobView, SourceView } from './types.js';

/**
 * A job as the page tracks it: the last JobView from the API, folded forward with the live events, plus
 * the variant indices seen per source (the JobView only counts them) so that the gallery can show them.
 */
export interface TrackedJob {
  readonly view: JobView;
  /** Highest event seq folded in; the `after` of the next subscription. */
  readonly lastSeq: number;
  readonly variantIndices: Readonly<Record<string, readonly number[]>>;
}

export const track = (view: JobView): TrackedJob => ({ view, lastSeq: 0, variantIndices: {} });

/**
 * Takes a JobView fetched from the API, keeping the seq and the indices seen; a view older than the
 * events already folded in (its `version` is below `lastSeq`) is ignored.
 */
export const withView = (job: TrackedJob, view: JobView): TrackedJob =>
  view.version !== undefined && view.version < job.lastSeq ? job : { ...job, view };

const isTerminal = (status: JobStatus): boolean => status === 'completed' || status === 'failed';

/** The job status implied by its sources, as the server's fold derives it. */
const statusFrom = (current: JobStatus, sources: readonly SourceView[]): JobStatus => {
  if (isTerminal(current)) return current;
  if (sources.some((s) => s.status !== 'pending' && s.status !== 'uploaded')) return 'processing';
  if (sources.length > 0 && sources.every((s) => s.status === 'uploaded')) return 'queued';
  return current === 'queued' ? 'queued' : 'created';
};

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

/**
 * Folds one live event into the tracked job. Pure; events at or below `lastSeq` are ignored, so a replay
 * after a reconnect changes nothing.
 */
export const applyEvent = (job: TrackedJob, event: JobEventMessage): TrackedJob => {
  if (event.seq <= job.lastSeq) return job;
  const body = { type: event.type, data: event.data ?? {} } as JobEventBody;
  let { view, variantIndices } = job;
  let done = view.progress.done;
  if (isSourceEvent(body)) {
    // The core's source fold, on the page's copy of the source (the server folds the same events the same way).
    const { sourceId } = body.data;
    done += countsDelta(body).variants;
    view = {
      ...view,
      sources: view.sources.map((s) => {
        if (s.sourceId !== sourceId) return s;
        const next = evolveSource(asSourceState(s, variantIndices[sourceId]), body);
        variantIndices = { ...variantIndices, [sourceId]: indicesOf(next.written) };
        return fromSourceState(s, next);
      }),
    };
    if (body.type === 'VariantsWritten') {
      for (const variant of body.data.variants) view = withClassCounts(view, variant.labels);
    }
    if (body.type === 'SourceRedriven') {
      const { archive: _archive, failure: _jobFailure, ...rest } = view;
      view = { ...rest, status: 'processing' };
    }
  }
  const data = event.data ?? {};
  switch (event.type) {
    case 'ArchiveWritten':
      view = { ...view, archive: { bytes: num(data.bytes) ?? 0, count: num(data.count) ?? 0 } };
      break;
    case 'JobCompleted':
      view = { ...view, status: 'completed' };
      break;
    case 'JobFailed':
      view = { ...view, status: 'failed', failure: str(data.reason) ?? 'the job failed' };
      break;
    default:
      break;
  }
  view = {
    ...view,
    status: statusFrom(view.status, view.sources),
    progress: { done, total: view.progress.total },
    updatedAt: event.at ?? view.updatedAt,
  };
  return { view, lastSeq: event.seq, variantIndices };
};

/** The page's copy of a source as the core's source aggregate (the fields the fold reads). */
const asSourceState = (s: SourceView, indices: readonly number[] | undefined): SourceState => ({
  sourceId: s.sourceId,
  name: s.name,
  label: s.label,
  key: '',
  version: 0,
  status: s.status,
  attempts: 0,
  variants: s.variants,
  written: withIndices('', indices ?? []),
  ...(s.width !== undefined ? { width: s.width } : {}),
  ...(s.height !== undefined ? { height: s.height } : {}),
  ...(s.failure !== undefined ? { failure: s.failure } : {}),
});

const fromSourceState = (s: SourceView, next: SourceState): SourceView => {
  const { failure: _failure, ...rest } = s;
  return {
    ...rest,
    status: next.status,
    variants: Math.max(s.variants, next.variants),
    ...(next.width !== undefined ? { width: next.width } : {}),
    ...(next.height !== undefined ? { height: next.height } : {}),
    ...(next.failure !== undefined ? { failure: next.failure } : {}),
  };
};

/** Adds an output's kept objects per class (VariantWritten `labels.kept`) to a dataset job's counts. */
const withClassCounts = (view: JobView, labels: unknown): JobView => {
  const summary = labels as { kept?: unknown; dropped?: unknown } | undefined;
  if (!view.dataset || !Array.isArray(summary?.kept)) return view;
  const kept = summary.kept as unknown[];
  const after = view.dataset.categories.map((_, i) => (view.dataset?.counts.after[i] ?? 0) + (Number(kept[i]) || 0));
  const dropped = view.dataset.counts.dropped + (Number(summary.dropped) || 0);
  return { ...view, dataset: { ...view.dataset, counts: { ...view.dataset.counts, after, dropped } } };
};

/** The variant indices of a source that can be shown now. */
export const variantIndicesOf = (job: TrackedJob, source: SourceView): readonly number[] => {
  const seen = job.variantIndices[source.sourceId];
  if (seen && seen.length >= source.variants) return seen;
  // Without the live events (a job loaded from the list), a completed source holds 0..n-1.
  return Array.from({ length: source.variants }, (_, i) => i);
};

export const isJobTerminal = (view: JobView): boolean => isTerminal(view.status);

/** 0..1, for the progress bar. */
export const fractionOf = (view: JobView): number => {
  if (view.status === 'completed') return 1;
  const { done, total } = view.progress;
  return total > 0 ? Math.min(1, done / total) : 0;
};

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The one-line status a person reads: "Queued", "Processing 12 of 40", "Done: 40 variants", "Failed: ...". */
export const statusText = (view: JobView): string => {
  const { done, total } = view.progress;
  switch (view.status) {
    case 'created':
      return 'Waiting for the upload';
    case 'queued':
      return 'Queued';
    case 'processing':
      return `Processing ${done} of ${total}`;
    case 'completed': {
      const failed = view.sources.filter((s) => s.status === 'failed' || s.status === 'dead-lettered').length;
      const count = view.archive?.count ?? done;
      return `Done: ${plural(count, 'variant')}${failed ? ` (${plural(failed, 'source')} failed)` : ''}`;
    }
    case 'failed':
      return `Failed: ${view.failure ?? failureOfSources(view) ?? 'no reason given'}`;
  }
};

const failureOfSources = (view: JobView): string | undefined => view.sources.find((s) => s.failure)?.failure;

/** Short human name of a job: its first source, and how many more. */
export const jobTitle = (view: JobView): string => {
  const [first] = view.sources;
  if (!first) return view.id;
  const label = first.label ? `${first.label}/${first.name}` : first.name;
  return view.sources.length > 1 ? `${label} + ${view.sources.length - 1} more` : label;
};

/**
 * What to announce to screen readers when a job moves from `before` to `after`: every status change, and
 * each quarter of the progress, so that a long job is neither silent nor chatty. Undefined when nothing is
 * worth saying.
 */
export const announcementFor = (before: JobView | undefined, after: JobView): string | undefined => {
  const title = jobTitle(after);
  if (!before || before.status !== after.status) return `${title}: ${statusText(after)}`;
  if (after.status !== 'processing') return undefined;
  const quarter = (view: JobView) => Math.floor(fractionOf(view) * 4);
  return quarter(after) > quarter(before) ? `${title}: ${statusText(after)}` : undefined;
};
