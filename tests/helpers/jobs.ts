import { createHandler, type ProcessDeps, type SQSEvent } from '@delta-augment/augmenter';
import {
  blobKeys,
  type DatasetSpec,
  type JobEvent,
  newId,
  objectCreatedEvent,
  type SourceRef,
  type VariantRecord,
} from '@delta-augment/core';
import { type BlobStore, JobService, loadConfig, type Ports } from '@delta-augment/ports';
import { type LocalPorts, localPorts } from '@delta-augment/ports/local';
import { tempDir } from './server.js';

export interface Fixture {
  readonly ports: LocalPorts;
  readonly jobs: JobService;
  close(): Promise<void>;
}

export const fixture = (env: Record<string, string> = {}): Fixture => {
  const config = loadConfig({ DATA_DIR: tempDir(), ...env });
  const ports = localPorts(config);
  return { ports, jobs: new JobService(ports.events, ports.bus), close: () => ports.close() };
};

/** Records a job with the given sources and stores their bytes (which queues ObjectCreated messages locally). */
export const seedJob = async (
  f: { jobs: JobService; ports: Pick<Ports, 'blobs'> },
  sources: { name: string; data: Buffer; label?: string }[],
  options: { variants?: number; seed?: number; blobs?: BlobStore } = {},
) => {
  const jobId = newId('j');
  const refs = sources.map((s) => {
    const sourceId = newId('s');
    return { sourceId, name: s.name, label: s.label ?? '', key: blobKeys.source(jobId, sourceId, s.name) };
  });
  await f.jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner: 'tester',
    pipeline: { preset: 'delta-classic', seed: options.seed ?? 1 },
    variants: options.variants ?? 3,
    tags: [],
    sources: refs,
    expiresAt: '2999-01-01T00:00:00.000Z',
  });
  const blobs = options.blobs ?? f.ports.blobs;
  for (const [i, ref] of refs.entries())
    await blobs.put(ref.key, sources[i]?.data ?? Buffer.alloc(0), { contentType: 'image/jpeg' });
  return { jobId, refs };
};

/** An SQS event of S3 notifications for the given keys, as the event source mapping would deliver it. */
export const sqsEventFor = (keys: readonly string[], receiveCount = 1): SQSEvent => ({
  Records: keys.map((key, i) => ({
    messageId: `m-${i}-${key.length}`,
    receiptHandle: `r-${i}`,
    body: JSON.stringify(objectCreatedEvent('sources', key, 1, Date.now())),
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: '0',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:local:000000000000:uploads',
    awsRegion: 'local',
  })),
});

export const handlerFor = (
  f: { jobs: JobService; ports: Pick<Ports, 'blobs'> },
  blobs?: BlobStore,
  maxReceiveCount = 5,
  extra: Partial<ProcessDeps> = {},
) =>
  createHandler({
    ...extra,
    blobs: blobs ?? f.ports.blobs,
    jobs: f.jobs,
    limits: { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 },
    maxReceiveCount,
    renderConcurrency: 2,
  });

/** The variant indices a job's `VariantsWritten` events record, in order of appearance. */
export const variantIndices = (events: readonly JobEvent[]): number[] =>
  events.flatMap((e) => (e.type === 'VariantsWritten' ? e.data.variants.map((v) => v.index) : []));

/** The first source of a job (in the store's order), for tests of one-source jobs. */
export const firstSource = async (jobs: Pick<JobService, 'sources'>, jobId: string) =>
  (await jobs.sources(jobId, { limit: 1 })).items[0];

/** Records a job of the given sources without storing their bytes (what the archive tests start from). */
export const createJob = (
  jobs: JobService,
  jobId: string,
  sources: readonly SourceRef[],
  options: { variants: number; dataset?: DatasetSpec },
) =>
  jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner: 'tester',
    pipeline: { seed: 1 },
    variants: options.variants,
    tags: [],
    sources,
    expiresAt: '2999-01-01T00:00:00.000Z',
    ...(options.dataset ? { dataset: options.dataset } : {}),
  });

/** Starts a source, records its variants in one batch and completes it, as the augmenter does. */
export const completeSource = async (
  jobs: JobService,
  jobId: string,
  sourceId: string,
  variants: readonly VariantRecord[],
) => {
  let state = (await jobs.handleSource(jobId, sourceId, { type: 'StartSource', attempt: 1 })).source;
  state = (await jobs.handleSource(jobId, sourceId, { type: 'RecordVariants', variants }, state)).source;
  await jobs.handleSource(jobId, sourceId, { type: 'CompleteSource' }, state);
};

export { DATASET_ZIP_FIELDS } from './dataset-zip-fields.js';
