import {
  type DatasetSpec,
  type DatasetUpload,
  type JobEventBody,
  type PipelineChoice,
  SOURCES_PER_EVENT,
  SOURCES_PER_EXPANSION_STEP,
  type SourceEventBody,
  type SourceRef,
  type UploadFacts,
  VARIANTS_PER_EVENT,
  type VariantRecord,
} from './events.js';
import {
  awaitsDataset,
  isSourceSettled,
  type JobState,
  needsFinalising,
  outputsOf,
  type SourceState,
} from './state.js';
import { hasIndex } from './variant-set.js';

/**
 * Pure decisions, one `decide(command, state)` per aggregate: the job (creation, finalisation) and each of
 * its sources (upload, start, variants, completion, failure, dead letter, redrive). An empty list means the
 * command is already reflected in the stream (idempotent redelivery).
 */

/** A source as the creation of a job names it, with the facts of its image when the gateway already read them. */
export interface NewSource extends SourceRef {
  readonly upload?: Omit<UploadFacts, 'sourceId'>;
}

export type JobCommand =
  | {
      readonly type: 'CreateJob';
      readonly owner: string;
      readonly pipeline: PipelineChoice;
      readonly variants: number;
      readonly tags: readonly string[];
      readonly sources: readonly NewSource[];
      readonly expiresAt: string;
      readonly dataset?: DatasetSpec;
      /** A job whose sources come from a dataset zip uploaded later (then `sources` is empty). */
      readonly datasetUpload?: DatasetUpload;
    }
  | {
      /** The job's dataset zip was read and checked: record its images as the job's sources, once. */
      readonly type: 'ExpandDataset';
      readonly sources: readonly NewSource[];
      readonly dataset?: DatasetSpec;
    }
  | {
      /** The job's dataset zip is refused (unreadable, over a limit, bad labels) or never arrived: the job fails. */
      readonly type: 'RejectDataset';
      readonly reason: string;
    }
  | {
      /** Every source is settled: record the archive (if any source completed) and the job's outcome. */
      readonly type: 'FinaliseJob';
      readonly archive?: { readonly key: string; readonly bytes: number; readonly count: number };
      /** The distinct failure reasons of the sources that did not complete. */
      readonly failures: readonly string[];
    }
  | {
      /** Finalising kept failing until the message's last attempt: the job ends with this reason. */
      readonly type: 'GiveUpFinalising';
      readonly reason: string;
    };

export type SourceCommand =
  | { readonly type: 'RecordUpload'; readonly facts: Omit<UploadFacts, 'sourceId'> }
  | { readonly type: 'StartSource'; readonly attempt: number }
  | { readonly type: 'RecordVariants'; readonly variants: readonly VariantRecord[] }
  | { readonly type: 'CompleteSource' }
  | { readonly type: 'FailSource'; readonly reason: string; readonly attempt: number; readonly final: boolean }
  | { readonly type: 'DeadLetterSource'; readonly reason: string }
  | { readonly type: 'RedriveSource' };

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const refOf = ({ upload: _upload, ...ref }: NewSource): SourceRef => ref;

const decideCreate = (command: Extract<JobCommand, { type: 'CreateJob' }>): JobEventBody[] => {
  const { owner, pipeline, variants, tags, sources, expiresAt, dataset, datasetUpload } = command;
  const [first = [], ...rest] = chunks(sources.map(refOf), SOURCES_PER_EVENT);
  const outputs = sources.reduce((sum, source) => sum + outputsOf({ dataset, variantsPerSource: variants }, source), 0);
  return [
    {
      type: 'JobCreated',
      data: {
        owner,
        pipeline,
        variants,
        tags,
        sources: first,
        sourceCount: sources.length,
        outputs,
        expiresAt,
        ...(dataset ? { dataset } : {}),
        ...(datasetUpload ? { datasetUpload } : {}),
      },
    },
    ...rest.map((chunk): JobEventBody => ({ type: 'SourcesAdded', data: { sources: chunk } })),
    ...sources.flatMap((s): JobEventBody[] =>
      s.upload ? [{ type: 'SourceUploaded', data: { sourceId: s.sourceId, ...s.upload } }] : [],
    ),
  ];
};

/**
 * The expansion of a dataset zip, in steps of `SOURCES_PER_EXPANSION_STEP` sources (`SourcesAdded` naming
 * them, then their `SourceUploaded` facts), `DatasetExpanded` last. The sources before `expandedSources` are
 * recorded already (a resumed expansion), so only the later steps are decided; the sources come in the same
 * order on every reading of the zip.
 */
const decideExpand = (command: Extract<JobCommand, { type: 'ExpandDataset' }>, state: JobState): JobEventBody[] => {
  const { sources, dataset } = command;
  const outputs = sources.reduce(
    (sum, source) => sum + outputsOf({ dataset, variantsPerSource: state.variantsPerSource }, source),
    0,
  );
  const steps = chunks(sources.slice(state.expandedSources ?? 0), SOURCES_PER_EXPANSION_STEP);
  return [
    ...steps.flatMap((step): JobEventBody[] => [
      { type: 'SourcesAdded', data: { sources: step.map(refOf) } },
      ...step.flatMap((s): JobEventBody[] =>
        s.upload ? [{ type: 'SourceUploaded', data: { sourceId: s.sourceId, ...s.upload } }] : [],
      ),
    ]),
    { type: 'DatasetExpanded', data: { sourceCount: sources.length, outputs, ...(dataset ? { dataset } : {}) } },
  ];
};

/** The job aggregate's decision. */
export const decideJob = (command: JobCommand, state: JobState | undefined): JobEventBody[] => {
  if (command.type === 'CreateJob') return state ? [] : decideCreate(command);
  if (command.type === 'ExpandDataset') {
    if (!state || !awaitsDataset(state)) return [];
    return command.sources.length === 0
      ? [{ type: 'JobFailed', data: { reason: 'the dataset zip holds no images' } }]
      : decideExpand(command, state);
  }
  if (command.type === 'RejectDataset') {
    return state && awaitsDataset(state) ? [{ type: 'JobFailed', data: { reason: command.reason } }] : [];
  }
  if (!state || !needsFinalising(state)) return [];
  if (command.type === 'GiveUpFinalising') return [{ type: 'JobFailed', data: { reason: command.reason } }];
  const { archive, failures } = command;
  if (!archive || state.counts.failed >= state.sourceCount) {
    return [{ type: 'JobFailed', data: { reason: `every source failed: ${failures.join('; ')}` } }];
  }
  return [
    { type: 'ArchiveWritten', data: archive },
    { type: 'JobCompleted', data: { variants: archive.count, failedSources: state.counts.failed } },
  ];
};

/** One source aggregate's decision. */
export const decideSource = (command: SourceCommand, source: SourceState): SourceEventBody[] => {
  const { sourceId } = source;
  switch (command.type) {
    case 'RecordUpload':
      return source.format === undefined ? [{ type: 'SourceUploaded', data: { sourceId, ...command.facts } }] : [];
    case 'StartSource':
      return isSourceSettled(source) || source.attempts >= command.attempt
        ? []
        : [{ type: 'SourceStarted', data: { sourceId, attempt: command.attempt } }];
    case 'RecordVariants': {
      if (isSourceSettled(source)) return [];
      const seen = new Set<number>();
      const fresh = command.variants.filter((v) => {
        if (hasIndex(source.written, v.index) || seen.has(v.index)) return false;
        seen.add(v.index);
        return true;
      });
      return chunks(fresh, VARIANTS_PER_EVENT).map((variants) => ({
        type: 'VariantsWritten',
        data: { sourceId, variants },
      }));
    }
    case 'CompleteSource':
      return isSourceSettled(source)
        ? []
        : [{ type: 'SourceCompleted', data: { sourceId, variants: source.variants } }];
    case 'FailSource':
      return isSourceSettled(source)
        ? []
        : [
            {
              type: 'SourceFailed',
              data: { sourceId, reason: command.reason, attempt: command.attempt, final: command.final },
            },
          ];
    case 'DeadLetterSource':
      return isSourceSettled(source)
        ? []
        : [{ type: 'SourceDeadLettered', data: { sourceId, reason: command.reason } }];
    case 'RedriveSource':
      // A redriven or retried source goes back to work unless it already completed.
      return source.status === 'failed' || source.status === 'dead-lettered'
        ? [{ type: 'SourceRedriven', data: { sourceId } }]
        : [];
    default:
      return assertNever(command);
  }
};

const assertNever = (value: never): never => {
  throw new Error(`unhandled command ${JSON.stringify(value)}`);
};
