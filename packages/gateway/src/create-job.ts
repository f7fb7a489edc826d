import {
  blobKeys,
  boundSkipped,
  type Clock,
  DATASET_SOURCE_ID,
  type DatasetSpec,
  type DatasetUploadFields,
  forEachLimited,
  type ImageLabels,
  type JobState,
  type NewSource,
  newId,
  type Split,
} from '@delta-augment/core';
import { CONTENT_TYPES } from '@delta-augment/datasets';
import type { BlobStore, JobService } from '@delta-augment/ports';
import type { JobOptions } from './job-options.js';

export interface UploadedImage {
  readonly name: string;
  readonly label: string;
  readonly data: Buffer;
  readonly format: string;
  readonly width: number;
  readonly height: number;
  /** Labelled datasets: the image's split and labels. */
  readonly split?: Split;
  readonly labels?: ImageLabels;
}

export interface CreateJobDeps {
  readonly jobs: JobService;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly retentionDays: number;
  /** Removes a job and its blobs (used to undo a job whose sources could not be stored). */
  deleteJob(jobId: string): Promise<void>;
}

const expiry = (deps: CreateJobDeps): string =>
  new Date(deps.clock.now() + deps.retentionDays * 86_400_000).toISOString();

const newSource = (
  jobId: string,
  file: { name: string; label: string; split?: Split; labels?: ImageLabels },
): NewSource => {
  const sourceId = newId('s');
  return {
    sourceId,
    name: file.name,
    label: file.label,
    key: blobKeys.source(jobId, sourceId, file.name),
    ...(file.split ? { split: file.split } : {}),
    ...(file.labels ? { labelsKey: blobKeys.sourceLabels(jobId, sourceId) } : {}),
  };
};

/**
 * Creates the job through the job aggregate's decision. Its id is fresh (128 random bits), so the append
 * expects an empty stream; the events are published on the bus for live clients.
 */
const create = async (
  deps: CreateJobDeps,
  jobId: string,
  owner: string,
  options: JobOptions,
  sources: readonly NewSource[],
  dataset?: DatasetSpec,
): Promise<JobState> => {
  const { job } = await deps.jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner,
    ...options,
    sources,
    expiresAt: expiry(deps),
    ...(dataset ? { dataset } : {}),
  });
  if (!job) throw new Error(`job ${jobId} has no events after it was created`);
  return job;
};

/** Sources of one upload stored at once. */
const SOURCE_WRITES_AT_ONCE = 4;

/**
 * Creates a job from images the gateway already holds and checked: the job and one `SourceUploaded`
 * per image are recorded, then each source is stored (its durable write queues the ObjectCreated message,
 * so a worker always finds the job). If a source cannot be stored, the job and whatever was stored are
 * removed and the error is rethrown.
 */
export const createJobFromImages = async (
  deps: CreateJobDeps,
  owner: string,
  options: JobOptions,
  images: readonly UploadedImage[],
  dataset?: DatasetSpec,
): Promise<JobState> => {
  const jobId = newId('j');
  const sources = images.map(
    (image): NewSource => ({
      ...newSource(jobId, image),
      upload: { bytes: image.data.length, format: image.format, width: image.width, height: image.height },
    }),
  );
  const bounded = dataset ? boundSkipped(dataset, blobKeys.datasetSkipped(jobId)) : undefined;
  if (bounded?.all && bounded.spec.skippedKey)
    await deps.blobs.put(bounded.spec.skippedKey, Buffer.from(JSON.stringify(bounded.all)), {
      contentType: 'application/json',
    });
  const state = await create(deps, jobId, owner, options, sources, bounded?.spec);
  try {
    // A few writes at a time: the local blob store writes on the event loop and fsyncs on the thread pool
    // (4 threads), so more at once would only hold the loop for every file in one stretch (100 sources: ~0.1 s).
    await forEachLimited(
      images.map((image, i) => ({ image, source: sources[i] as NewSource })),
      SOURCE_WRITES_AT_ONCE,
      async ({ image, source }) => {
        // The labels first: the source's write queues its work, which reads them.
        if (source.labelsKey && image.labels) {
          await deps.blobs.put(source.labelsKey, Buffer.from(JSON.stringify(image.labels)), {
            contentType: 'application/json',
          });
        }
        await deps.blobs.put(source.key, image.data, {
          contentType: CONTENT_TYPES[image.format] ?? 'application/octet-stream',
          metadata: { job: jobId, source: source.sourceId },
        });
      },
    );
  } catch (error) {
    await deps.deleteJob(jobId).catch(() => undefined);
    throw error;
  }
  return state;
};

/** Creates a job whose sources the client uploads itself through signed URLs (status `created` until then). */
export const createJobForSignedUploads = async (
  deps: CreateJobDeps,
  owner: string,
  options: JobOptions,
  files: readonly { name: string; label: string; bytes: number }[],
): Promise<{ state: JobState; sources: readonly NewSource[] }> => {
  const jobId = newId('j');
  const sources = files.map((file) => ({ ...newSource(jobId, file), declaredBytes: file.bytes }));
  return { state: await create(deps, jobId, owner, options, sources), sources };
};

/**
 * Creates a job whose sources come from one dataset zip the client uploads through a signed URL, to
 * `sources/<job>/dataset/<name>`; its images are recorded as sources once the zip is read (`ExpandDataset`).
 */
export const createJobForSignedDataset = async (
  deps: CreateJobDeps,
  owner: string,
  options: JobOptions,
  zip: { readonly name: string; readonly bytes: number; readonly fields: DatasetUploadFields },
): Promise<JobState> => {
  const jobId = newId('j');
  const { job } = await deps.jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner,
    ...options,
    sources: [],
    expiresAt: expiry(deps),
    datasetUpload: { key: blobKeys.source(jobId, DATASET_SOURCE_ID, zip.name), ...zip },
  });
  if (!job) throw new Error(`job ${jobId} has no events after it was created`);
  return job;
};
