import { describe, it } from 'node:test';
import {
  decideJob,
  decideSource,
  evolveJob,
  evolveSource,
  type JobCommand,
  type JobEvent,
  type JobEventBody,
  type JobState,
  SOURCES_PER_EVENT,
  SOURCES_PER_EXPANSION_STEP,
  type SourceCommand,
  type SourceEventBody,
  type SourceState,
  sourceFromRef,
  VARIANTS_PER_EVENT,
} from '@delta-augment/core';
import { DATASET_ZIP_FIELDS } from '../helpers/dataset-zip-fields.js';
import { deciderSpec } from '../helpers/decider-spec.js';

const JOB = 'j_test';
const REF = { sourceId: 's1', name: 'a.jpg', label: 'cats', key: 'sources/j_test/s1/a.jpg' };
const AT = '2026-01-01T00:00:00.000Z';

const variant = (index: number) => ({ index, key: `results/j/s1/${index}.jpg`, bytes: 10, operations: [] });

/** The source aggregate's decider: state from `sourceFromRef`, folded with `evolveSource`. */
const source = deciderSpec<SourceEventBody, SourceState, SourceCommand>({
  initial: () => sourceFromRef(REF),
  evolve: evolveSource,
  decide: (command, state) => decideSource(command, state),
});

/** The job aggregate's decider: events stamped with seqs 1, 2, 3 and folded with `evolveJob`. */
let seq = 0;
const stamp = (body: JobEventBody): JobEvent => ({ ...body, jobId: JOB, seq: ++seq, at: AT }) as JobEvent;
const job = deciderSpec<JobEventBody, JobState | undefined, JobCommand>({
  initial: () => {
    seq = 0;
    return undefined;
  },
  evolve: (state, body) => evolveJob(state, stamp(body)),
  decide: (command, state) => decideJob(command, state),
});

const create = (sources: readonly JobSourceInput[] = [REF]): Extract<JobCommand, { type: 'CreateJob' }> => ({
  type: 'CreateJob',
  owner: 'alice',
  pipeline: { preset: 'delta-classic', seed: 1 },
  variants: 2,
  tags: ['cats'],
  sources,
  expiresAt: '2099-01-01T00:00:00.000Z',
});
type JobSourceInput = Extract<JobCommand, { type: 'CreateJob' }>['sources'][number];
const created = (count = 1): JobEventBody => ({
  type: 'JobCreated',
  data: {
    owner: 'alice',
    pipeline: { preset: 'delta-classic', seed: 1 },
    variants: 2,
    tags: ['cats'],
    sources: [REF],
    sourceCount: count,
    outputs: count * 2,
    expiresAt: '2099-01-01T00:00:00.000Z',
  },
});
const uploaded: SourceEventBody = {
  type: 'SourceUploaded',
  data: { sourceId: 's1', bytes: 5, format: 'jpeg', width: 4, height: 3 },
};
const started = (attempt = 1): SourceEventBody => ({ type: 'SourceStarted', data: { sourceId: 's1', attempt } });
const written = (...indices: number[]): SourceEventBody => ({
  type: 'VariantsWritten',
  data: { sourceId: 's1', variants: indices.map(variant) },
});
const completed = (variants = 2): SourceEventBody => ({ type: 'SourceCompleted', data: { sourceId: 's1', variants } });
const failedFinal: SourceEventBody = {
  type: 'SourceFailed',
  data: { sourceId: 's1', reason: 'corrupt', attempt: 1, final: true },
};
const deadLettered: SourceEventBody = { type: 'SourceDeadLettered', data: { sourceId: 's1', reason: 'after 5' } };
const redriven: SourceEventBody = { type: 'SourceRedriven', data: { sourceId: 's1' } };
const archive = { key: 'results/j/archive.zip', bytes: 100, count: 2 };

describe('the source aggregate', () => {
  describe('given a source that was never started', () => {
    it('when it is started, then SourceStarted records the attempt', () =>
      source
        .given([uploaded])
        .when({ type: 'StartSource', attempt: 1 })
        .thenAppends([started(1)]));

    it('when its upload is recorded, then SourceUploaded carries what was read of the image', () =>
      source
        .given([])
        .when({ type: 'RecordUpload', facts: { bytes: 5, format: 'jpeg', width: 4, height: 3 } })
        .thenAppends([uploaded]));
  });

  describe('given a source whose upload is recorded', () => {
    it('when the upload is recorded again, then nothing is appended', () =>
      source
        .given([uploaded])
        .when({ type: 'RecordUpload', facts: { bytes: 5, format: 'jpeg', width: 4, height: 3 } })
        .thenNothing());
  });

  describe('given a source started at attempt 2', () => {
    it('when attempt 2 is started again (a duplicate message), then nothing is appended', () =>
      source
        .given([started(2)])
        .when({ type: 'StartSource', attempt: 2 })
        .thenNothing());

    it('when attempt 3 starts, then it is recorded', () =>
      source
        .given([started(2)])
        .when({ type: 'StartSource', attempt: 3 })
        .thenAppends([started(3)]));
  });

  describe('given a source with variants 0 and 1 recorded', () => {
    it('when variants 1, 2 and 2 again are recorded, then one batch holds only the new index 2', () =>
      source
        .given([started(), written(0, 1)])
        .when({ type: 'RecordVariants', variants: [variant(1), variant(2), variant(2)] })
        .thenAppends([written(2)]));

    it('when the same variants are recorded again, then nothing is appended', () =>
      source
        .given([started(), written(0, 1)])
        .when({ type: 'RecordVariants', variants: [variant(0), variant(1)] })
        .thenNothing());

    it('when it completes, then SourceCompleted counts its 2 variants', () =>
      source
        .given([started(), written(0, 1)])
        .when({ type: 'CompleteSource' })
        .thenAppends([completed(2)]));
  });

  describe('given more variants than one event holds', () => {
    it('when they are recorded, then they are split into events of at most VARIANTS_PER_EVENT', () => {
      const many = Array.from({ length: VARIANTS_PER_EVENT + 3 }, (_, i) => i);
      source
        .given([started()])
        .when({ type: 'RecordVariants', variants: many.map(variant) })
        .thenAppends([written(...many.slice(0, VARIANTS_PER_EVENT)), written(...many.slice(VARIANTS_PER_EVENT))]);
    });
  });

  describe('given a completed source', () => {
    const late: SourceCommand[] = [
      { type: 'StartSource', attempt: 9 },
      { type: 'RecordVariants', variants: [variant(5)] },
      { type: 'CompleteSource' },
      { type: 'FailSource', reason: 'x', attempt: 2, final: true },
      { type: 'DeadLetterSource', reason: 'x' },
      { type: 'RedriveSource' },
    ];
    for (const command of late) {
      it(`when ${command.type} arrives late, then nothing is appended`, () =>
        source
          .given([started(), written(0, 1), completed()])
          .when(command)
          .thenNothing());
    }
  });

  describe('given a dead-lettered source', () => {
    it('when it is redriven, then SourceRedriven sends it back to work', () =>
      source.given([started(), deadLettered]).when({ type: 'RedriveSource' }).thenAppends([redriven]));
  });

  describe('given a source that failed for good', () => {
    it('when it is redriven (an operator retry), then SourceRedriven is appended', () =>
      source.given([started(), failedFinal]).when({ type: 'RedriveSource' }).thenAppends([redriven]));
  });

  describe('given a source that failed but may be retried', () => {
    it('when a redrive is asked, then nothing is appended (its message is still queued)', () =>
      source
        .given([started(), { type: 'SourceFailed', data: { sourceId: 's1', reason: 'x', attempt: 1, final: false } }])
        .when({ type: 'RedriveSource' })
        .thenNothing());
  });
});

describe('the job aggregate', () => {
  describe('given no job', () => {
    it('when it is created, then JobCreated names its sources and SourceUploaded records each known image', () =>
      job
        .given([])
        .when(create([{ ...REF, upload: { bytes: 5, format: 'jpeg', width: 4, height: 3 } }]))
        .thenAppends([created(1), uploaded]));

    it('when it is created with more sources than one event names, then SourcesAdded carries the rest', () => {
      const refs = Array.from({ length: SOURCES_PER_EVENT + 1 }, (_, i) => ({ ...REF, sourceId: `s${i}` }));
      job
        .given([])
        .when(create(refs))
        .thenAppends([
          {
            type: 'JobCreated',
            data: createdData(refs.slice(0, SOURCES_PER_EVENT), refs.length),
          },
          { type: 'SourcesAdded', data: { sources: refs.slice(SOURCES_PER_EVENT) } },
        ]);
    });
  });

  describe('given a job that exists', () => {
    it('when it is created again, then nothing is appended', () => job.given([created()]).when(create()).thenNothing());
  });

  describe('given a job whose only source is still processing', () => {
    it('when finalising is asked, then nothing is appended (not every source is settled)', () =>
      job
        .given([created(), started(), written(0)])
        .when({ type: 'FinaliseJob', archive, failures: [] })
        .thenNothing());
  });

  describe('given a job whose sources are all settled and one completed', () => {
    it('when it is finalised with its archive, then ArchiveWritten and JobCompleted are appended', () =>
      job
        .given([created(), started(), written(0, 1), completed()])
        .when({ type: 'FinaliseJob', archive, failures: [] })
        .thenAppends([
          { type: 'ArchiveWritten', data: archive },
          { type: 'JobCompleted', data: { variants: 2, failedSources: 0 } },
        ]));

    it('when it is finalised a second time, then nothing is appended', () =>
      job
        .given([
          created(),
          started(),
          completed(),
          { type: 'ArchiveWritten', data: archive },
          { type: 'JobCompleted', data: { variants: 2, failedSources: 0 } },
        ])
        .when({ type: 'FinaliseJob', archive, failures: [] })
        .thenNothing());
  });

  describe('given a job whose every source failed', () => {
    it('when it is finalised, then JobFailed names the reasons', () =>
      job
        .given([created(), started(), failedFinal])
        .when({ type: 'FinaliseJob', failures: ['corrupt'] })
        .thenAppends([{ type: 'JobFailed', data: { reason: 'every source failed: corrupt' } }]));

    it('when finalising keeps failing, then GiveUpFinalising ends it with the reason', () =>
      job
        .given([created(), started(), failedFinal])
        .when({ type: 'GiveUpFinalising', reason: 'archive unwritable' })
        .thenAppends([{ type: 'JobFailed', data: { reason: 'archive unwritable' } }]));
  });

  describe('given a completed job whose dead-lettered source is redriven and completes', () => {
    it('when it is finalised again, then a new archive and JobCompleted are appended', () =>
      job
        .given([
          created(2),
          started(),
          completed(),
          { type: 'SourceDeadLettered', data: { sourceId: 's2', reason: 'x' } },
          { type: 'ArchiveWritten', data: archive },
          { type: 'JobCompleted', data: { variants: 2, failedSources: 1 } },
          { type: 'SourceRedriven', data: { sourceId: 's2' } },
          { type: 'SourceCompleted', data: { sourceId: 's2', variants: 2 } },
        ])
        .when({ type: 'FinaliseJob', archive, failures: [] })
        .thenAppends([
          { type: 'ArchiveWritten', data: archive },
          { type: 'JobCompleted', data: { variants: 2, failedSources: 0 } },
        ]));
  });
});

describe('the job aggregate of an uploaded dataset zip', () => {
  const datasetUpload = {
    key: 'sources/j_test/dataset/pets.zip',
    name: 'pets.zip',
    bytes: 100,
    fields: DATASET_ZIP_FIELDS,
  };
  const awaiting = { type: 'JobCreated', data: { ...createdData([], 0), outputs: 0, datasetUpload } } as JobEventBody;
  const image = (n: number) => ({
    sourceId: `s${n}`,
    name: `${n}.jpg`,
    label: 'cats',
    key: `sources/j_test/s${n}/${n}.jpg`,
    entry: `cats/${n}.jpg`,
    upload: { bytes: 5, format: 'jpeg', width: 4, height: 3 },
  });
  const ref = (n: number) => {
    const { upload: _upload, ...rest } = image(n);
    return rest;
  };
  const expanded: JobEventBody[] = [
    { type: 'SourcesAdded', data: { sources: [ref(1), ref(2)] } },
    { type: 'SourceUploaded', data: { sourceId: 's1', ...image(1).upload } },
    { type: 'SourceUploaded', data: { sourceId: 's2', ...image(2).upload } },
    { type: 'DatasetExpanded', data: { sourceCount: 2, outputs: 4 } },
  ];
  const many = Array.from({ length: SOURCES_PER_EXPANSION_STEP + 2 }, (_, i) => image(i + 1));
  const step = (from: number, to: number): JobEventBody[] => [
    { type: 'SourcesAdded', data: { sources: many.slice(from, to).map(({ upload: _u, ...r }) => r) } },
    ...many
      .slice(from, to)
      .map((s): JobEventBody => ({ type: 'SourceUploaded', data: { sourceId: s.sourceId, ...s.upload } })),
  ];
  const manyExpanded: JobEventBody = {
    type: 'DatasetExpanded',
    data: { sourceCount: many.length, outputs: many.length * 2 },
  };

  describe('given no job', () => {
    it('when it is created for a zip, then JobCreated names no sources and the zip to wait for', () =>
      job
        .given([])
        .when({ ...create([]), datasetUpload })
        .thenAppends([awaiting]));
  });

  describe('given a job waiting for its zip', () => {
    it('when the zip is read, then SourcesAdded names its images, and DatasetExpanded, last, counts them', () =>
      job
        .given([awaiting])
        .when({ type: 'ExpandDataset', sources: [image(1), image(2)] })
        .thenAppends(expanded));
    it('when the zip holds more images than one step records, then they come in steps of SOURCES_PER_EXPANSION_STEP', () =>
      job
        .given([awaiting])
        .when({ type: 'ExpandDataset', sources: many })
        .thenAppends([
          ...step(0, SOURCES_PER_EXPANSION_STEP),
          ...step(SOURCES_PER_EXPANSION_STEP, many.length),
          manyExpanded,
        ]));
    it('when the zip is refused, then JobFailed gives the reason', () =>
      job
        .given([awaiting])
        .when({ type: 'RejectDataset', reason: 'too many images' })
        .thenAppends([{ type: 'JobFailed', data: { reason: 'too many images' } }]));
    it('when finalising is asked, then nothing is appended (it has no sources yet)', () =>
      job.given([awaiting]).when({ type: 'FinaliseJob', failures: [] }).thenNothing());
  });

  describe('given a job whose expansion stopped after its first step', () => {
    it('when the zip is read again, then only the later steps and DatasetExpanded are appended', () =>
      job
        .given([awaiting, ...step(0, SOURCES_PER_EXPANSION_STEP)])
        .when({ type: 'ExpandDataset', sources: many })
        .thenAppends([...step(SOURCES_PER_EXPANSION_STEP, many.length), manyExpanded]));
    it('when finalising is asked, then nothing is appended (no source is counted before DatasetExpanded)', () =>
      job
        .given([awaiting, ...step(0, SOURCES_PER_EXPANSION_STEP)])
        .when({ type: 'FinaliseJob', failures: [] })
        .thenNothing());
  });

  describe('given a job whose zip was read', () => {
    it('when the upload message is delivered again, then nothing is appended', () =>
      job
        .given([awaiting, ...expanded])
        .when({ type: 'ExpandDataset', sources: [image(3)] })
        .thenNothing());
    it('when the upload deadline sweep arrives late, then nothing is appended', () =>
      job
        .given([awaiting, ...expanded])
        .when({ type: 'RejectDataset', reason: 'late' })
        .thenNothing());
  });

  describe('given a job that failed at its upload deadline', () => {
    it('when its zip is read after all, then nothing is appended (one terminal state)', () =>
      job
        .given([awaiting, { type: 'JobFailed', data: { reason: 'late' } }])
        .when({ type: 'ExpandDataset', sources: [image(1)] })
        .thenNothing());
  });
});

function createdData(sources: readonly unknown[], sourceCount: number) {
  return {
    owner: 'alice',
    pipeline: { preset: 'delta-classic', seed: 1 },
    variants: 2,
    tags: ['cats'],
    sources,
    sourceCount,
    outputs: sourceCount * 2,
    expiresAt: '2099-01-01T00:00:00.000Z',
  };
}
