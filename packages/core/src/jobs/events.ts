/** One operation the augmenter actually applied to a variant, with the parameters it drew. */
import type { Category, LabelFormat, SkippedItem, Split } from '../labels/model.js';

export interface AppliedOperation {
  readonly op: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** A source image of a job. `label` is the class folder of a dataset ('' for plain uploads). */
export interface SourceRef {
  readonly sourceId: string;
  readonly name: string;
  readonly label: string;
  readonly key: string;
  /** Labelled datasets: the split the source's outputs go to. */
  readonly split?: Split;
  /** Labelled datasets: the blob holding the source's labels (ImageLabels JSON). */
  readonly labelsKey?: string;
}

/** How a labelled dataset job reads, augments and exports its labels (absent for plain jobs). */
export interface DatasetSpec {
  /** The layout the upload was read as. */
  readonly format: LabelFormat;
  /** The layout of the archive. */
  readonly export: LabelFormat;
  readonly categories: readonly Category[];
  /** Objects with less than this share of their area left in an output are dropped. */
  readonly minVisibility: number;
  /** Which splits get augmented variants; the others get their originals unchanged. */
  readonly augmentSplits: 'train' | 'all';
  /** Also put each augmented source's original beside its variants. */
  readonly includeOriginals: boolean;
  /** The percentages asked for (`split`), when the job split the dataset itself. */
  readonly split?: readonly [number, number, number];
  /** Items `onLabelError=skip` left out. */
  readonly skipped: readonly SkippedItem[];
  /** Objects per category over the job's sources (class counts before augmentation). */
  readonly counts?: readonly number[];
}

/** What became of a source's labels in one output. */
export interface VariantLabelSummary {
  readonly key: string;
  /** Objects kept per category index. */
  readonly kept: readonly number[];
  readonly dropped: number;
}

/** The pipeline a job runs: a preset name or a full spec (validated by the augmenter), and the seed. */
export interface PipelineChoice {
  readonly preset?: string;
  readonly spec?: unknown;
  readonly seed: number;
}

export type JobEventBody =
  | {
      readonly type: 'JobCreated';
      readonly data: {
        readonly owner: string;
        readonly pipeline: PipelineChoice;
        readonly variants: number;
        readonly tags: readonly string[];
        readonly sources: readonly SourceRef[];
        readonly expiresAt: string;
        readonly dataset?: DatasetSpec;
      };
    }
  | {
      readonly type: 'SourceUploaded';
      readonly data: {
        readonly sourceId: string;
        readonly bytes: number;
        readonly format: string;
        readonly width: number;
        readonly height: number;
      };
    }
  | { readonly type: 'SourceStarted'; readonly data: { readonly sourceId: string; readonly attempt: number } }
  | {
      readonly type: 'VariantWritten';
      readonly data: {
        readonly sourceId: string;
        readonly index: number;
        readonly key: string;
        readonly bytes: number;
        readonly operations: readonly AppliedOperation[];
        readonly labels?: VariantLabelSummary;
      };
    }
  | { readonly type: 'SourceCompleted'; readonly data: { readonly sourceId: string; readonly variants: number } }
  | {
      readonly type: 'SourceFailed';
      readonly data: {
        readonly sourceId: string;
        readonly reason: string;
        readonly attempt: number;
        readonly final: boolean;
      };
    }
  | { readonly type: 'SourceDeadLettered'; readonly data: { readonly sourceId: string; readonly reason: string } }
  | { readonly type: 'SourceRedriven'; readonly data: { readonly sourceId: string } }
  | {
      readonly type: 'ArchiveWritten';
      readonly data: { readonly key: string; readonly bytes: number; readonly count: number };
    }
  | { readonly type: 'JobCompleted'; readonly data: { readonly variants: number; readonly failedSources: number } }
  | { readonly type: 'JobFailed'; readonly data: { readonly reason: string } };

/** What every stored event carries besides its body. */
export interface EventEnvelope {
  readonly jobId: string;
  /** 1, 2, 3, ... contiguous within a job. */
  readonly seq: number;
  /** ISO-8601 time of the append. */
  readonly at: string;
}

export type JobEvent = JobEventBody & EventEnvelope;
export type JobEventType = JobEventBody['type'];

export const TERMINAL_EVENT_TYPES: readonly JobEventType[] = ['JobCompleted', 'JobFailed'];
