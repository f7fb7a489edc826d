import type {
  DatasetSpec,
  DatasetUpload,
  JobEvent,
  PipelineChoice,
  SourceEventBody,
  SourceRef,
  VariantRecord,
} from './events.js';
import { isSourceEvent } from './events.js';
import { withIndices } from './variant-set.js';

export type JobStatus = 'created' | 'queued' | 'processing' | 'completed' | 'failed';
export type SourceStatus = 'pending' | 'uploaded' | 'processing' | 'completed' | 'failed' | 'dead-lettered';

/**
 * What the job-level record counts. Every source event changes these by an amount that depends on the
 * event alone (`countsDelta`), so stores apply them with commutative atomic writes, in any order.
 */
export interface JobCounts {
  /** Sources whose image was uploaded and read. */
  readonly uploaded: number;
  /** `SourceStarted` events so far (a job with any is processing). */
  readonly started: number;
  /** Sources completed, failed for good or dead-lettered. */
  readonly settled: number;
  /** Of the settled sources, those that did not complete. */
  readonly failed: number;
  /** Variants recorded. */
  readonly variants: number;
  /** Bytes of the variants recorded. */
  readonly bytes: number;
}

/**
 * The job aggregate: small and of constant size whatever the number of sources or variants. The sources
 * are aggregates of their own (`SourceState`), loaded one at a time or by page.
 */
export interface JobState {
  readonly id: string;
  /** Seq of the last event of the job (any aggregate): the expected version of a job-level append. */
  readonly version: number;
  readonly status: JobStatus;
  readonly owner: string;
  readonly pipeline: PipelineChoice;
  readonly variantsPerSource: number;
  readonly tags: readonly string[];
  readonly sourceCount: number;
  /** Outputs its sources make in all: the `total` of its progress. */
  readonly outputs: number;
  readonly counts: JobCounts;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
  /** Set by the job's terminal event; cleared when a source is redriven. */
  readonly outcome?: 'completed' | 'failed';
  readonly archive?: { readonly key: string; readonly bytes: number; readonly count: number };
  readonly failure?: string;
  readonly dataset?: DatasetSpec;
  /** A dataset zip the client uploads; its sources are known once `datasetExpanded`. */
  readonly datasetUpload?: DatasetUpload;
  readonly datasetExpanded?: boolean;
  /**
   * Sources of the uploaded dataset zip recorded so far (named by `SourcesAdded` before `DatasetExpanded`): an
   * expansion cut short (a process killed between two steps) resumes after them. Cleared by `DatasetExpanded`.
   */
  readonly expandedSources?: number;
}

/** True while a job waits for its dataset zip to be uploaded and read (it has no sources yet). */
export const awaitsDataset = (state: Pick<JobState, 'datasetUpload' | 'datasetExpanded' | 'status'>): boolean =>
  state.datasetUpload !== undefined && state.datasetExpanded !== true && !isJobTerminal(state);

/** True when a source of a labelled dataset gets augmented variants (its split is augmented). */
export const isAugmented = (state: Pick<JobState, 'dataset'>, source: Pick<SourceRef, 'split'>): boolean =>
  state.dataset === undefined || state.dataset.augmentSplits === 'all' || (source.split ?? 'train') === 'train';

/**
 * The outputs a source makes: its variants (then its original when `includeOriginals`), or only
 * its original when its split is not augmented. Output index `variantsPerSource` is the original.
 */
export const outputsOf = (
  state: Pick<JobState, 'dataset' | 'variantsPerSource'>,
  source: Pick<SourceRef, 'split'>,
): number => {
  if (!isAugmented(state, source)) return 1;
  return state.variantsPerSource + (state.dataset?.includeOriginals ? 1 : 0);
};

/** True when output `index` of a source is its original, copied unchanged. */
export const isOriginalOutput = (
  state: Pick<JobState, 'dataset' | 'variantsPerSource'>,
  source: Pick<SourceRef, 'split'>,
  index: number,
): boolean => !isAugmented(state, source) || index >= state.variantsPerSource;

/** One source aggregate: its own status and a compact set of the variant indices recorded. */
export interface SourceState extends SourceRef {
  /** Number of events of this source (its stream version, for optimistic appends). */
  readonly version: number;
  readonly status: SourceStatus;
  readonly bytes?: number;
  readonly format?: string;
  readonly width?: number;
  readonly height?: number;
  readonly attempts: number;
  /** Variants recorded. */
  readonly variants: number;
  /** The recorded variant indices as a hex bitmap (see variant-set.ts). */
  readonly written: string;
  /** Extension of the variant files (the same for every variant of a source). */
  readonly ext?: string;
  /** Labelled datasets: objects kept per category index over the source's outputs, and objects dropped. */
  readonly labelsKept?: readonly number[];
  readonly labelsDropped?: number;
  readonly failure?: string;
}

export const EMPTY_COUNTS: JobCounts = { uploaded: 0, started: 0, settled: 0, failed: 0, variants: 0, bytes: 0 };

/** Terminal for a source: nothing more happens to it unless it is redriven. */
export const isSourceSettled = (source: Pick<SourceState, 'status'>): boolean =>
  source.status === 'completed' || source.status === 'failed' || source.status === 'dead-lettered';

export const isJobTerminal = (state: Pick<JobState, 'status'>): boolean =>
  state.status === 'completed' || state.status === 'failed';

/** The job's status from its outcome and counts. */
export const statusOf = (job: Pick<JobState, 'outcome' | 'counts' | 'sourceCount'>): JobStatus => {
  if (job.outcome) return job.outcome;
  const { started, settled, uploaded } = job.counts;
  if (started > 0 || settled > 0) return 'processing';
  return job.sourceCount > 0 && uploaded >= job.sourceCount ? 'queued' : 'created';
};

export const progressOf = (state: Pick<JobState, 'counts' | 'outputs'>) => ({
  done: state.counts.variants,
  total: state.outputs,
});

/** True when every source is settled and the job has not been finalised yet. */
export const needsFinalising = (state: JobState): boolean =>
  !isJobTerminal(state) && state.sourceCount > 0 && state.counts.settled >= state.sourceCount;

/** How one source event changes the job's counts: a function of the event alone. */
export const countsDelta = (event: SourceEventBody): JobCounts => {
  switch (event.type) {
    case 'SourceUploaded':
      return { ...EMPTY_COUNTS, uploaded: 1 };
    case 'SourceStarted':
      return { ...EMPTY_COUNTS, started: 1 };
    case 'VariantsWritten':
      return {
        ...EMPTY_COUNTS,
        variants: event.data.variants.length,
        bytes: event.data.variants.reduce((sum, v) => sum + v.bytes, 0),
      };
    case 'SourceCompleted':
      return { ...EMPTY_COUNTS, settled: 1 };
    case 'SourceFailed':
      return event.data.final ? { ...EMPTY_COUNTS, settled: 1, failed: 1 } : EMPTY_COUNTS;
    case 'SourceDeadLettered':
      return { ...EMPTY_COUNTS, settled: 1, failed: 1 };
    case 'SourceRedriven':
      return { ...EMPTY_COUNTS, settled: -1, failed: -1 };
    default:
      return assertNever(event);
  }
};

export const addCounts = (a: JobCounts, b: JobCounts): JobCounts => ({
  uploaded: a.uploaded + b.uploaded,
  started: a.started + b.started,
  settled: a.settled + b.settled,
  failed: a.failed + b.failed,
  variants: a.variants + b.variants,
  bytes: a.bytes + b.bytes,
});

/** Pure fold of one event into the job aggregate. */
export const evolveJob = (state: JobState | undefined, event: JobEvent): JobState => {
  if (event.type === 'JobCreated') {
    const { owner, pipeline, variants, tags, sourceCount, outputs, expiresAt, dataset, datasetUpload } = event.data;
    return {
      id: event.jobId,
      version: event.seq,
      status: 'created',
      owner,
      pipeline,
      variantsPerSource: variants,
      tags,
      sourceCount,
      outputs,
      counts: EMPTY_COUNTS,
      createdAt: event.at,
      updatedAt: event.at,
      expiresAt,
      ...(dataset ? { dataset } : {}),
      ...(datasetUpload ? { datasetUpload } : {}),
    };
  }
  if (!state) throw new Error(`job ${event.jobId}: ${event.type} before JobCreated`);
  const next = applyToJob(state, event);
  const stamped = { ...next, version: event.seq, updatedAt: event.at };
  return { ...stamped, status: statusOf(stamped) };
};

const applyToJob = (state: JobState, event: Exclude<JobEvent, { type: 'JobCreated' }>): JobState => {
  if (isSourceEvent(event)) {
    const counts = addCounts(state.counts, countsDelta(event));
    if (event.type !== 'SourceRedriven') return { ...state, counts };
    const { outcome: _o, archive: _a, failure: _f, ...open } = state;
    return { ...open, counts };
  }
  switch (event.type) {
    case 'SourcesAdded':
      return awaitsDataset(state)
        ? { ...state, expandedSources: (state.expandedSources ?? 0) + event.data.sources.length }
        : state;
    case 'DatasetExpanded': {
      const { sourceCount, outputs, dataset } = event.data;
      const { expandedSources: _recorded, ...rest } = state;
      return { ...rest, sourceCount, outputs, datasetExpanded: true, ...(dataset ? { dataset } : {}) };
    }
    case 'ArchiveWritten':
      return { ...state, archive: event.data };
    case 'JobCompleted':
      return { ...state, outcome: 'completed' };
    case 'JobFailed':
      return { ...state, outcome: 'failed', failure: event.data.reason };
    default:
      return assertNever(event);
  }
};

/** A source as its job's creation names it. */
export const sourceFromRef = (ref: SourceRef): SourceState => ({
  ...ref,
  version: 0,
  status: 'pending',
  attempts: 0,
  variants: 0,
  written: '',
});

const extOf = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** A source's label counts with those of newly recorded outputs added (nothing for unlabelled jobs). */
const withLabels = (
  s: SourceState,
  variants: readonly VariantRecord[],
): Pick<SourceState, 'labelsKept' | 'labelsDropped'> => {
  if (!variants.some((v) => v.labels)) return {};
  const kept = [...(s.labelsKept ?? [])];
  let dropped = s.labelsDropped ?? 0;
  for (const v of variants) {
    v.labels?.kept.forEach((n, c) => {
      kept[c] = (kept[c] ?? 0) + n;
    });
    dropped += v.labels?.dropped ?? 0;
  }
  return { labelsKept: kept, labelsDropped: dropped };
};

/** Pure fold of one of its events into a source aggregate. */
export const evolveSource = (source: SourceState, event: SourceEventBody): SourceState => {
  const next = applyToSource(source, event);
  return { ...next, version: source.version + 1 };
};

const applyToSource = (s: SourceState, event: SourceEventBody): SourceState => {
  switch (event.type) {
    case 'SourceUploaded': {
      const { bytes, format, width, height } = event.data;
      return { ...s, bytes, format, width, height, status: s.status === 'pending' ? 'uploaded' : s.status };
    }
    case 'SourceStarted':
      return { ...s, status: 'processing', attempts: Math.max(s.attempts, event.data.attempt) };
    case 'VariantsWritten': {
      const { variants } = event.data;
      const first = variants[0];
      return {
        ...s,
        variants: s.variants + variants.length,
        written: withIndices(
          s.written,
          variants.map((v) => v.index),
        ),
        ext: s.ext ?? (first ? extOf(first.key) : undefined),
        ...withLabels(s, variants),
      };
    }
    case 'SourceCompleted': {
      const { failure: _f, ...rest } = s;
      return { ...rest, status: 'completed' };
    }
    case 'SourceFailed':
      return { ...s, status: event.data.final ? 'failed' : s.status, failure: event.data.reason };
    case 'SourceDeadLettered':
      return { ...s, status: 'dead-lettered', failure: event.data.reason };
    case 'SourceRedriven':
      return { ...s, status: 'uploaded' };
    default:
      return assertNever(event);
  }
};

const assertNever = (value: never): never => {
  throw new Error(`unhandled job event ${JSON.stringify(value)}`);
};

/** The sources a job-level event names (creation events), as fresh source aggregates. */
export const sourcesNamedBy = (event: JobEvent): SourceState[] =>
  event.type === 'JobCreated' || event.type === 'SourcesAdded' ? event.data.sources.map(sourceFromRef) : [];

/** A whole job rebuilt from its events: the job aggregate and every source. Undefined when the stream is empty. */
export interface FoldedJob {
  readonly job: JobState;
  readonly sources: ReadonlyMap<string, SourceState>;
}

export const foldJob = (events: readonly JobEvent[]): FoldedJob | undefined => {
  let job: JobState | undefined;
  const sources = new Map<string, SourceState>();
  for (const event of events) {
    job = evolveJob(job, event);
    for (const source of sourcesNamedBy(event)) sources.set(source.sourceId, source);
    if (isSourceEvent(event)) {
      const source = sources.get(event.data.sourceId);
      if (!source) throw new Error(`job ${event.jobId}: ${event.type} for unknown source ${event.data.sourceId}`);
      sources.set(source.sourceId, evolveSource(source, event));
    }
  }
  return job ? { job, sources } : undefined;
};
