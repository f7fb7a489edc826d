import type { Category, LabelFormat, SkippedItem, Split } from '../labels/model.js';

/** One operation the augmenter actually applied to a variant, with the parameters it drew. */
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
  /** Signed uploads: the byte size the client declared; its PUT must carry exactly these bytes. */
  readonly declaredBytes?: number;
  /** Sources of an uploaded dataset zip: the image's path inside the zip. */
  readonly entry?: string;
}

/** The source id of a dataset zip's key (`sources/<job>/dataset/<name>.zip`): never an image source's (`s_...`). */
export const DATASET_SOURCE_ID = 'dataset';

/** How a job reads the dataset zip its client uploads through a signed URL (the multipart dataset fields). */
export interface DatasetUploadFields {
  readonly format: LabelFormat | 'auto';
  readonly export?: LabelFormat;
  readonly split?: readonly [number, number, number];
  readonly onLabelError: 'fail' | 'skip';
  readonly minVisibility: number;
  readonly augmentSplits: 'train' | 'all';
  readonly includeOriginals: boolean;
}

/**
 * A dataset zip the client PUTs through a signed URL. Its images are unknown when the job is created: the
 * job has no sources until `DatasetExpanded` records them.
 */
export interface DatasetUpload {
  readonly key: string;
  readonly name: string;
  /** The declared size: the PUT must carry exactly these bytes. */
  readonly bytes: number;
  readonly fields: DatasetUploadFields;
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

/** One variant written to storage: its deterministic key, size and the operations drawn for it. */
export interface VariantRecord {
  readonly index: number;
  readonly key: string;
  readonly bytes: number;
  readonly operations: readonly AppliedOperation[];
  readonly labels?: VariantLabelSummary;
}

/** The facts the augmenter (or the gateway) reads from an uploaded source image. */
export interface UploadFacts {
  readonly sourceId: string;
  readonly bytes: number;
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

/**
 * A job's events. Job-level events (the job aggregate) and source-level events (one aggregate per source,
 * each carrying `sourceId`) share one stream per job with one gap-free `seq`.
 *
 * Sizes stay bounded whatever the job's size: `JobCreated` names at most `SOURCES_PER_EVENT` sources and
 * `SourcesAdded` carries the rest in chunks; `VariantsWritten` records a batch of at most
 * `VARIANTS_PER_EVENT` variants of one source.
 */
export type JobEventBody =
  | {
      readonly type: 'JobCreated';
      readonly data: {
        readonly owner: string;
        readonly pipeline: PipelineChoice;
        readonly variants: number;
        readonly tags: readonly string[];
        /** The first sources (at most SOURCES_PER_EVENT); the others follow in `SourcesAdded` events. */
        readonly sources: readonly SourceRef[];
        /** How many sources the job holds in all. */
        readonly sourceCount: number;
        /** How many outputs (variants, and originals of labelled datasets) its sources make in all. */
        readonly outputs: number;
        readonly expiresAt: string;
        readonly dataset?: DatasetSpec;
        /** A dataset zip still to upload: the job's sources come from it (`DatasetExpanded`). */
        readonly datasetUpload?: DatasetUpload;
      };
    }
  | {
      /**
       * The uploaded dataset zip was read and checked, and every one of its sources is recorded: it comes last,
       * after the `SourcesAdded` + `SourceUploaded` steps that name them, and only then does the job count them.
       */
      readonly type: 'DatasetExpanded';
      readonly data: { readonly sourceCount: number; readonly outputs: number; readonly dataset?: DatasetSpec };
    }
  | { readonly type: 'SourcesAdded'; readonly data: { readonly sources: readonly SourceRef[] } }
  | { readonly type: 'SourceUploaded'; readonly data: UploadFacts }
  | { readonly type: 'SourceStarted'; readonly data: { readonly sourceId: string; readonly attempt: number } }
  | {
      readonly type: 'VariantsWritten';
      readonly data: { readonly sourceId: string; readonly variants: readonly VariantRecord[] };
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

/** The events of one source's aggregate: each names its `sourceId`. */
export type SourceEventBody = Extract<JobEventBody, { readonly data: { readonly sourceId: string } }>;
export type SourceEventType = SourceEventBody['type'];

const SOURCE_EVENT_TYPES: ReadonlySet<string> = new Set<SourceEventType>([
  'SourceUploaded',
  'SourceStarted',
  'VariantsWritten',
  'SourceCompleted',
  'SourceFailed',
  'SourceDeadLettered',
  'SourceRedriven',
]);

export const isSourceEvent = (event: JobEventBody): event is SourceEventBody => SOURCE_EVENT_TYPES.has(event.type);

/**
 * How many variants one job event records, read from an event as it travels (bus message, API page):
 * the size of a `VariantsWritten` batch, one for a `VariantWritten` of older streams, else none.
 */
export const variantsRecorded = (event: { readonly type: string; readonly data?: unknown }): number => {
  if (event.type === 'VariantWritten') return 1;
  if (!event.type.startsWith('Variant')) return 0;
  const data = (event.data ?? {}) as { readonly variants?: unknown; readonly count?: unknown };
  if (Array.isArray(data.variants)) return data.variants.length;
  return typeof data.count === 'number' ? data.count : 0;
};

export const TERMINAL_EVENT_TYPES: readonly JobEventType[] = ['JobCompleted', 'JobFailed'];

/** Sources named by one `JobCreated` or `SourcesAdded` event (keeps every event far below 400 KB). */
export const SOURCES_PER_EVENT = 200;
/** Variants recorded by one `VariantsWritten` event at most. */
export const VARIANTS_PER_EVENT = 50;

/**
 * Sources one step of a dataset expansion records: one `SourcesAdded` naming them and one `SourceUploaded` per
 * source. A step is the unit a store commits atomically, so that it fits one DynamoDB transaction (100 items):
 * its events (1 + 48), the 48 source records and the job record make 98.
 */
export const SOURCES_PER_EXPANSION_STEP = 48;
