import type {
  AppliedOperation,
  DatasetSpec,
  JobEventBody,
  PipelineChoice,
  SourceRef,
  VariantLabelSummary,
} from './events.js';
import { isJobTerminal, isSourceSettled, type JobState, type SourceState } from './state.js';

/**
 * Pure decisions: given the current state and a command, the events to append.
 * An empty list means the command is already reflected in the stream (idempotent redelivery).
 */

export interface CreateJob {
  readonly owner: string;
  readonly pipeline: PipelineChoice;
  readonly variants: number;
  readonly tags: readonly string[];
  readonly sources: readonly SourceRef[];
  readonly expiresAt: string;
  readonly dataset?: DatasetSpec;
}

export const decideCreate = (state: JobState | undefined, command: CreateJob): JobEventBody[] =>
  state ? [] : [{ type: 'JobCreated', data: command }];

const sourceOf = (state: JobState, sourceId: string): SourceState => {
  const source = state.sources.find((s) => s.sourceId === sourceId);
  if (!source) throw new Error(`job ${state.id} has no source ${sourceId}`);
  return source;
};

export interface RecordUpload {
  readonly sourceId: string;
  readonly bytes: number;
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

export const decideUpload = (state: JobState, command: RecordUpload): JobEventBody[] =>
  sourceOf(state, command.sourceId).format === undefined ? [{ type: 'SourceUploaded', data: command }] : [];

export const decideStart = (state: JobState, sourceId: string, attempt: number): JobEventBody[] => {
  const source = sourceOf(state, sourceId);
  if (isSourceSettled(source) || source.attempts >= attempt) return [];
  return [{ type: 'SourceStarted', data: { sourceId, attempt } }];
};

export interface RecordVariant {
  readonly sourceId: string;
  readonly index: number;
  readonly key: string;
  readonly bytes: number;
  readonly operations: readonly AppliedOperation[];
  readonly labels?: VariantLabelSummary;
}

export const decideVariant = (state: JobState, command: RecordVariant): JobEventBody[] => {
  const source = sourceOf(state, command.sourceId);
  if (isSourceSettled(source) || source.variants[command.index]) return [];
  return [{ type: 'VariantWritten', data: command }];
};

export const decideComplete = (state: JobState, sourceId: string): JobEventBody[] => {
  const source = sourceOf(state, sourceId);
  if (isSourceSettled(source)) return [];
  return [{ type: 'SourceCompleted', data: { sourceId, variants: Object.keys(source.variants).length } }];
};

export interface RecordFailure {
  readonly sourceId: string;
  readonly reason: string;
  readonly attempt: number;
  readonly final: boolean;
}

export const decideFailure = (state: JobState, command: RecordFailure): JobEventBody[] => {
  const source = sourceOf(state, command.sourceId);
  if (isSourceSettled(source)) return [];
  return [{ type: 'SourceFailed', data: command }];
};

export const decideDeadLetter = (state: JobState, sourceId: string, reason: string): JobEventBody[] => {
  const source = sourceOf(state, sourceId);
  if (isSourceSettled(source)) return [];
  return [{ type: 'SourceDeadLettered', data: { sourceId, reason } }];
};

/** A redriven or retried source goes back to work unless it already completed. */
export const decideRedrive = (state: JobState, sourceId: string): JobEventBody[] => {
  const source = sourceOf(state, sourceId);
  if (source.status !== 'failed' && source.status !== 'dead-lettered') return [];
  return [{ type: 'SourceRedriven', data: { sourceId } }];
};

/** True when every source is settled and the job has not been finalised yet. */
export const needsFinalising = (state: JobState): boolean =>
  !isJobTerminal(state) && state.sources.length > 0 && state.sources.every(isSourceSettled);

export const decideFinalise = (
  state: JobState,
  archive: { key: string; bytes: number; count: number } | undefined,
): JobEventBody[] => {
  if (!needsFinalising(state)) return [];
  const failed = state.sources.filter((s) => s.status !== 'completed');
  if (!archive || failed.length === state.sources.length) {
    const reasons = [...new Set(failed.map((s) => s.failure ?? s.status))].join('; ');
    return [{ type: 'JobFailed', data: { reason: `every source failed: ${reasons}` } }];
  }
  return [
    { type: 'ArchiveWritten', data: archive },
    { type: 'JobCompleted', data: { variants: archive.count, failedSources: failed.length } },
  ];
};

/**
 * Ends an open job whose finalisation (archive, terminal event) kept failing until its message's last
 * allowed attempt: one JobFailed with the reason, so that the job does not wait forever.
 */
export const decideFinaliseFailed = (state: JobState, reason: string): JobEventBody[] =>
  needsFinalising(state) ? [{ type: 'JobFailed', data: { reason } }] : [];
