import {
  type BlobStore,
  blobKeys,
  type Clock,
  decideCreate,
  decideUpload,
  type JobService,
  type JobState,
  newId,
  type SourceRef,
} from '@delta-augment/shared';
import type { JobOptions } from './job-options.js';
import { CONTENT_TYPES } from './sniff.js';

export interface UploadedImage {
  readonly name: string;
  readonly label: string;
  readonly data: Buffer;
  readonly format: string;
  readonly width: number;
  readonly height: number;
}

export interface CreateJobDeps {
  readonly jobs: JobService;
  readonly blobs: BlobStore;
  readonly clock: Clock;
  readonly retentionDays: number;
}

const expiry = (deps: CreateJobDeps): string =>
  new Date(deps.clock.now() + deps.retentionDays * 86_400_000).toISOString();

const sourceRefs = (jobId: string, files: readonly { name: string; label: string }[]): SourceRef[] =>
  files.map((file) => {
    const sourceId = newId('s');
    return { sourceId, name: file.name, label: file.label, key: blobKeys.source(jobId, sourceId, file.name) };
  });

/**
 * Creates a job from images the gateway already holds: the job is recorded first, then each source is
 * stored (its durable write queues the ObjectCreated message), then the uploads are recorded.
 */
export const createJobFromImages = async (
  deps: CreateJobDeps,
  owner: string,
  options: JobOptions,
  images: readonly UploadedImage[],
): Promise<JobState> => {
  const jobId = newId('j');
  const sources = sourceRefs(jobId, images);
  await deps.jobs.update(jobId, (state) =>
    decideCreate(state, { owner, ...options, sources, expiresAt: expiry(deps) }),
  );
  await Promise.all(
    images.map((image, i) => {
      const source = sources[i] as SourceRef;
      return deps.blobs.put(source.key, image.data, {
        contentType: CONTENT_TYPES[image.format] ?? 'application/octet-stream',
        metadata: { job: jobId, source: source.sourceId },
      });
    }),
  );
  const { state } = await deps.jobs.updateExisting(jobId, (s) =>
    images.flatMap((image, i) =>
      decideUpload(s, {
        sourceId: (sources[i] as SourceRef).sourceId,
        bytes: image.data.length,
        format: image.format,
        width: image.width,
        height: image.height,
      }),
    ),
  );
  if (!state) throw new Error(`job ${jobId} vanished after it was created`);
  return state;
};

/** Creates a job whose sources the client uploads itself through signed URLs. */
export const createJobForSignedUploads = async (
  deps: CreateJobDeps,
  owner: string,
  options: JobOptions,
  files: readonly { name: string; label: string }[],
): Promise<JobState> => {
  const jobId = newId('j');
  const sources = sourceRefs(jobId, files);
  const { state } = await deps.jobs.update(jobId, (s) =>
    decideCreate(s, { owner, ...options, sources, expiresAt: expiry(deps) }),
  );
  if (!state) throw new Error(`job ${jobId} vanished after it was created`);
  return state;
};
