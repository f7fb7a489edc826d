import type {
  AppliedOperation,
  DatasetSpec,
  JobEvent,
  PipelineChoice,
  SourceRef,
  VariantLabelSummary,
} from './events.js';

export type JobStatus = 'created' | 'queued' | 'processing' | 'completed' | 'failed';
export type SourceStatus = 'pending' | 'uploaded' | 'processing' | 'completed' | 'failed' | 'dead-lettered';

export interface VariantState {
  readonly index: number;
  readonly key: string;
  readonly bytes: number;
  readonly operations: readonly AppliedOperation[];
  readonly labels?: VariantLabelSummary;
}

export interface SourceState extends SourceRef {
  readonly status: SourceStatus;
  readonly bytes?: number;
  readonly format?: string;
  readonly width?: number;
  readonly height?: number;
  readonly attempts: number;
  readonly variants: Readonly<Record<number, VariantState>>;
  readonly failure?: string;
}

export interface JobState {
  readonly id: string;
  /** Number of events folded so far: the expected version of the next append. */
  readonly version: number;
  readonly status: JobStatus;
  readonly owner: string;
  readonly pipeline: PipelineChoice;
  readonly variantsPerSource: number;
  readonly tags: readonly string[];
  readonly sources: readonly SourceState[];
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
  readonly archive?: { readonly key: string; readonly bytes: number; readonly count: number };
  readonly failure?: string;
  readonly dataset?: DatasetSpec;
}

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

/** Terminal for a source: nothing more happens to it unless it is redriven. */
export const isSourceSettled = (source: SourceState): boolean =>
  source.status === 'completed' || source.status === 'failed' || source.status === 'dead-lettered';

export const isJobTerminal = (state: JobState): boolean => state.status === 'completed' || state.status === 'failed';

export const progressOf = (state: JobState): { done: number; total: number } => ({
  done: state.sources.reduce((sum, source) => sum + Object.keys(source.variants).length, 0),
  total: state.sources.reduce((sum, source) => sum + outputsOf(state, source), 0),
});

const withSource = (state: JobState, sourceId: string, change: (source: SourceState) => SourceState): JobState => ({
  ...state,
  sources: state.sources.map((source) => (source.sourceId === sourceId ? change(source) : source)),
});

const statusFromSources = (state: JobState): JobStatus => {
  if (isJobTerminal(state)) return state.status;
  if (state.sources.some((s) => s.status !== 'pending' && s.status !== 'uploaded')) return 'processing';
  if (state.sources.every((s) => s.status === 'uploaded')) return 'queued';
  return 'created';
};

/** Pure fold of one event into the job state. */
export const evolve = (state: JobState | undefined, event: JobEvent): JobState => {
  if (event.type === 'JobCreated') {
    return {
      id: event.jobId,
      version: event.seq,
      status: 'created',
      owner: event.data.owner,
      pipeline: event.data.pipeline,
      variantsPerSource: event.data.variants,
      tags: event.data.tags,
      sources: event.data.sources.map((ref) => ({ ...ref, status: 'pending', attempts: 0, variants: {} })),
      createdAt: event.at,
      updatedAt: event.at,
      expiresAt: event.data.expiresAt,
      ...(event.data.dataset ? { dataset: event.data.dataset } : {}),
    };
  }
  if (!state) throw new Error(`job ${event.jobId}: ${event.type} before JobCreated`);
  const next = applyToCreated(state, event);
  const stamped = { ...next, version: event.seq, updatedAt: event.at };
  return { ...stamped, status: statusFromSources(stamped) };
};

const applyToCreated = (state: JobState, event: Exclude<JobEvent, { type: 'JobCreated' }>): JobState => {
  switch (event.type) {
    case 'SourceUploaded': {
      const { sourceId, bytes, format, width, height } = event.data;
      return withSource(state, sourceId, (s) => ({
        ...s,
        bytes,
        format,
        width,
        height,
        status: s.status === 'pending' ? 'uploaded' : s.status,
      }));
    }
    case 'SourceStarted':
      return withSource(state, event.data.sourceId, (s) => ({
        ...s,
        status: 'processing',
        attempts: Math.max(s.attempts, event.data.attempt),
      }));
    case 'VariantWritten': {
      const { sourceId, index, key, bytes, operations, labels } = event.data;
      const variant: VariantState = { index, key, bytes, operations, ...(labels ? { labels } : {}) };
      return withSource(state, sourceId, (s) => ({ ...s, variants: { ...s.variants, [index]: variant } }));
    }
    case 'SourceCompleted':
      return withSource(state, event.data.sourceId, (s) => ({ ...s, status: 'completed', failure: undefined }));
    case 'SourceFailed':
      return withSource(state, event.data.sourceId, (s) => ({
        ...s,
        status: event.data.final ? 'failed' : s.status,
        failure: event.data.reason,
      }));
    case 'SourceDeadLettered':
      return withSource(state, event.data.sourceId, (s) => ({
        ...s,
        status: 'dead-lettered',
        failure: event.data.reason,
      }));
    case 'SourceRedriven':
      return {
        ...withSource(state, event.data.sourceId, (s) => ({ ...s, status: 'uploaded' })),
        status: 'processing',
        archive: undefined,
        failure: undefined,
      };
    case 'ArchiveWritten':
      return { ...state, archive: event.data };
    case 'JobCompleted':
      return { ...state, status: 'completed' };
    case 'JobFailed':
      return { ...state, status: 'failed', failure: event.data.reason };
    default:
      return assertNever(event);
  }
};

const assertNever = (value: never): never => {
  throw new Error(`unhandled job event ${JSON.stringify(value)}`);
};

/** Folds a whole stream; undefined when the stream is empty. */
export const foldEvents = (events: readonly JobEvent[]): JobState | undefined =>
  events.reduce<JobState | undefined>((state, event) => evolve(state, event), undefined);
