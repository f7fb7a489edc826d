import {
  blobKeys,
  type Clock,
  type DatasetSpec,
  decideCreate,
  foldEvents,
  type ImageLabels,
  type JobEventBody,
  type JobState,
  newId,
  type SourceRef,
  type Split,
} from '@delta-augment/core';
import type { BlobStore, EventBus, JobEventStore } from '@delta-augment/ports';
import type { JobOptions } from './job-options.js';
import { CONTENT_TYPES } from './sniff.js';

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
  readonly ports: { readonly events: JobEventStore; readonly bus: EventBus; readonly blobs: BlobStore };
  readonly clock: Clock;
  readonly retentionDays: number;
  /** Removes a job and its blobs (used to undo a job whose sources could not be stored). */
  deleteJob(jobId: string): Promise<void>;
}

const expiry = (deps: CreateJobDeps): string =>
  new Date(deps.clock.now() + deps.retentionDays * 86_400_000).toISOString();

const sourceRefs = (
  jobId: string,
  files: readonly { name: string; label: string; split?: Split; labels?: ImageLabels }[],
): SourceRef[] =>
  files.map((file) => {
    const sourceId = newId('s');
    return {
      sourceId,
      name: file.name,
      label: file.label,
      key: blobKeys.source(jobId, sourceId, file.name),
      ...(file.split ? { split: file.split } : {}),
      ...(file.labels ? { labelsKey: blobKeys.sourceLabels(jobId, sourceId) } : {}),
    };
  });

/**
 * Starts a new stream: its id is fresh (128 random bits), so the append expects version 0 and needs no
 * read first; the state is the fold of what was appended. Published on the bus for live clients.
 */
const startStream = async (deps: CreateJobDeps, jobId: string, bodies: readonly JobEventBody[]): Promise<JobState> => {
  const events = await deps.ports.events.append(jobId, 0, bodies);
  await deps.ports.bus.publish(events).catch(() => undefined);
  const state = foldEvents(events);
  if (!state) throw new Error(`job ${jobId} has no events after it was created`);
  return state;
};

/**
 * Creates a job from images the gateway already holds and checked: `JobCreated` and one `SourceUploaded`
 * per image are appended in one write, then each source is stored (its durable write queues the
 * ObjectCreated message, so a worker always finds the job). If a source cannot be stored, the job and
 * whatever was stored are removed and the error is rethrown.
 */
export const createJobFromImages = async (
  deps: CreateJobDeps,
  owner: string,
  options: JobOptions,
  images: readonly UploadedImage[],
  dataset?: DatasetSpec,
): Promise<JobState> => {
  const jobId = newId('j');
  const sources = sourceRefs(jobId, images);
  const bodies: JobEventBody[] = [
    ...decideCreate(undefined, {
      owner,
      ...options,
      sources,
      expiresAt: expiry(deps),
      ...(dataset ? { dataset } : {}),
    }),
    ...images.map(
      (image, i): JobEventBody => ({
        type: 'SourceUploaded',
        data: {
          sourceId: (sources[i] as SourceRef).sourceId,
          bytes: image.data.length,
          format: image.format,
          width: image.width,
          height: image.height,
        },
      }),
    ),
  ];
  const state = await startStream(deps, jobId, bodies);
  try {
    await Promise.all(
      images.map(async (image, i) => {
        const source = sources[i] as SourceRef;
        // The labels first: the source's write queues its work, which reads them.
        if (source.labelsKey && image.labels) {
          await deps.ports.blobs.put(source.labelsKey, Buffer.from(JSON.stringify(image.labels)), {
            contentType: 'application/json',
          });
        }
        return deps.ports.blobs.put(source.key, image.data, {
          contentType: CONTENT_TYPES[image.format] ?? 'application/octet-stream',
          metadata: { job: jobId, source: source.sourceId },
        });
      }),
    );
  } catch (error) {
    await deps.deleteJob(jobId).catch(() => undefined);
    throw error;
  }
  return state;
};

/** Creates a job whose sources the client uploads itself through signed URLs (status `created` until then). */
export const createJobForSignedUploads = (
  deps: CreateJobDeps,
  owner: string,
  options: JobOptions,
  files: readonly { name: string; label: string }[],
): Promise<JobState> => {
  const jobId = newId('j');
  const sources = sourceRefs(jobId, files);
  return startStream(deps, jobId, decideCreate(undefined, { owner, ...options, sources, expiresAt: expiry(deps) }));
};
