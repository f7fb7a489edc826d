/**
 * The store-path load that scale.ts (SQLite) and scale-dynamo.ts (DynamoDB on dynalite) both drive: a job of
 * N sources x 20 variants recorded through JobService as the augmenter records it (per source: SourceStarted,
 * one VariantsWritten batch of 20, SourceCompleted, with 4 sources in flight), then its finalisation.
 * Rendering is left out so that the figures are the cost of the job model alone.
 */
import type { JobCommand, NewSource } from '@delta-augment/core';
import type { JobService } from '@delta-augment/ports';
import { DATASET_ZIP_FIELDS } from '../../tests/helpers/dataset-zip-fields.js';

export const VARIANTS = 20;
const IN_FLIGHT = 4;
export const JOB_ID = 'j_bench';

/** The `--sizes` argument (comma-separated source counts), else `fallback`. */
export const sizesArg = (fallback: string): number[] => {
  const arg = process.argv.indexOf('--sizes');
  return (arg > 0 ? (process.argv[arg + 1] ?? '') : fallback).split(',').map(Number);
};

const benchSourceIds = (sources: number) =>
  Array.from({ length: sources }, (_, i) => `s_${String(i).padStart(22, '0')}`);

/** The bench job's CreateJob, with `sources` recorded at creation and the rest of the command from `more`. */
const createCommand = (sources: NewSource[], more: Partial<JobCommand & { type: 'CreateJob' }> = {}) =>
  ({
    type: 'CreateJob',
    owner: 'bench',
    pipeline: { seed: 1 },
    variants: VARIANTS,
    tags: [],
    sources,
    expiresAt: '2999-01-01T00:00:00.000Z',
    ...more,
  }) as JobCommand;

/** Records the bench job with `sources` sources; resolves with their ids. */
export const createBenchJob = async (jobs: JobService, sources: number): Promise<string[]> => {
  const ids = benchSourceIds(sources);
  await jobs.handleJob(
    JOB_ID,
    createCommand(ids.map((sourceId) => ({ sourceId, name: `${sourceId}.jpg`, label: 'cats', key: `k/${sourceId}` }))),
  );
  return ids;
};

/**
 * Records the bench job as a job created for an uploaded dataset zip (`--from zip`): created with no sources,
 * then expanded (`ExpandDataset`: steps of SourcesAdded + SourceUploaded, DatasetExpanded last), as the worker
 * that reads the zip records it. Resolves with the source ids.
 */
export const createDatasetBenchJob = async (jobs: JobService, sources: number): Promise<string[]> => {
  const ids = benchSourceIds(sources);
  await jobs.handleJob(
    JOB_ID,
    createCommand([], {
      datasetUpload: {
        key: `sources/${JOB_ID}/dataset/bench.zip`,
        name: 'bench.zip',
        bytes: 1,
        fields: DATASET_ZIP_FIELDS,
      },
    }),
  );
  await jobs.handleJob(JOB_ID, {
    type: 'ExpandDataset',
    sources: ids.map((sourceId) => ({
      sourceId,
      name: `${sourceId}.jpg`,
      label: 'cats',
      key: `k/${sourceId}`,
      entry: `cats/${sourceId}.jpg`,
      upload: { bytes: 40_000, format: 'jpeg', width: 256, height: 256 },
    })),
  });
  return ids;
};

/** The `--from` argument: `zip` for jobs created from an uploaded dataset zip, else multipart creation. */
export const fromZip = (): boolean => {
  const arg = process.argv.indexOf('--from');
  return arg > 0 && process.argv[arg + 1] === 'zip';
};

/** Completes each source with 20 variants (4 in flight), as the augmenter records them, and finalises the job. */
export const recordSources = async (jobs: JobService, ids: readonly string[]): Promise<void> => {
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const sourceId = ids[next++] as string;
      let { source } = await jobs.handleSource(JOB_ID, sourceId, { type: 'StartSource', attempt: 1 });
      const variants = Array.from({ length: VARIANTS }, (_, index) => ({
        index,
        key: `results/${JOB_ID}/${sourceId}/${String(index).padStart(4, '0')}.jpg`,
        bytes: 4000,
        operations: [
          { op: 'rotate', params: { degrees: 12.5 } },
          { op: 'flip', params: { axis: 'horizontal' } },
        ],
      }));
      ({ source } = await jobs.handleSource(JOB_ID, sourceId, { type: 'RecordVariants', variants }, source));
      await jobs.handleSource(JOB_ID, sourceId, { type: 'CompleteSource' }, source);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const archive = { key: 'a', bytes: 1, count: ids.length * VARIANTS };
  await jobs.handleJob(JOB_ID, { type: 'FinaliseJob', archive, failures: [] });
};
