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
