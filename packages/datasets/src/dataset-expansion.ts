import { createHash } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import {
  blobKeys,
  boundSkipped,
  type DatasetSpec,
  type DatasetUpload,
  isJobTerminal,
  type JobState,
  limitedPool,
  type NewSource,
} from '@delta-augment/core';
import type { BlobStore, Config, JobService } from '@delta-augment/ports';
import yauzl from 'yauzl';
import { type ImageEntry, labelled, openZip, walkDatasetZip } from './dataset-zip.js';
import { RequestError } from './errors.js';
import { type CheckedImage, checkImage } from './image-check.js';
import { datasetFormat, prepareDataset, wantsDatasetJob } from './labelled-dataset.js';
import { checkOutputBudget } from './output-budget.js';
import { ReadWindows } from './read-windows.js';
import { CONTENT_TYPES } from './sniff.js';

export interface DatasetExpansionDeps {
  readonly jobs: JobService;
  readonly blobs: BlobStore;
  readonly config: Pick<Config, 'maxFilesPerJob' | 'maxFileBytes' | 'maxPixels' | 'budgets'>;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The id of the source a zip entry becomes: derived from the job and the entry's path, so every reading of
 * the zip (a redelivered or resumed expansion) names the same images with the same ids and keys.
 */
export const deterministicSourceId = (jobId: string, entry: string): string =>
  `s_${createHash('sha256').update(`${jobId}\n${entry}`).digest('base64url').slice(0, 22)}`;

/** The name errors give the uploaded zip. */
const FIELD = 'dataset';

/**
 * yauzl's random-access reader over a stored object: every read is a ranged get (a ranged GetObject on S3),
 * so the zip is never held whole in memory; only its central directory and one entry at a time are read.
 */
class BlobReader extends yauzl.RandomAccessReader {
  constructor(
    private readonly blobs: BlobStore,
    private readonly key: string,
  ) {
    super();
  }

  /** The small reads (central directory records, local headers) come from cached windows: see ReadWindows. */
  private readonly windows = new ReadWindows((range) => this.blobs.get(this.key, range));

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytesRead?: number) => void,
  ): void {
    this.windows.read(position, length).then(
      (data) => callback(null, data.copy(buffer, offset)),
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    this.blobs.get(this.key, { start, end }).then(
      (stream) => {
        stream.on('error', (error) => out.destroy(error));
        stream.pipe(out);
      },
      (error: Error) => out.destroy(error),
    );
    return out;
  }
}

const openStoredZip = (deps: DatasetExpansionDeps, key: string, size: number) =>
  openZip((options, done) => yauzl.fromRandomAccessReader(new BlobReader(deps.blobs, key), size, options, done), FIELD);

const limitsOf = (deps: DatasetExpansionDeps) => ({
  maxFiles: deps.config.maxFilesPerJob,
  maxFileBytes: deps.config.maxFileBytes,
  maxTotalBytes: deps.config.budgets.maxDatasetBytes,
  totalName: 'MAX_DATASET_BYTES',
  maxLabelBytes: deps.config.budgets.maxLabelBytes,
});

type CheckedEntry = ImageEntry & CheckedImage & { readonly bytes: number };

/**
 * First pass: every image is read (one at a time) and checked like a multipart upload's (type, header,
 * MAX_PIXELS), the labels are parsed and split, the output budget is checked; the labels are stored, then
 * the sources are recorded in one decision (`ExpandDataset`), which a redelivery finds already made.
 */
const recordSources = async (deps: DatasetExpansionDeps, job: JobState, upload: DatasetUpload, size: number) => {
  const entries: CheckedEntry[] = [];
  const texts = await walkDatasetZip(
    await openStoredZip(deps, upload.key, size),
    FIELD,
    limitsOf(deps),
    async (entry, data) => {
      const check = await checkImage(`${FIELD}:${entry.path}`, entry.path, data, deps.config.maxPixels);
      entries.push({ ...entry, ...check, bytes: data.length });
    },
  );
  const named = labelled(entries);
  const sizes = new Map(named.map((e) => [e.path, { width: e.width, height: e.height }]));
  const { fields } = upload;
  const format = datasetFormat(fields, { texts, images: sizes });
  let dataset: DatasetSpec | undefined;
  let chosen: ((typeof named)[number] & Pick<NewSource, 'split'> & { labels?: unknown })[] = named;
  if (wantsDatasetJob(fields, format)) {
    const prepared = prepareDataset({ images: named, texts }, sizes, fields, format, job.pipeline.seed, FIELD);
    dataset = await boundedSpec(deps, job.id, prepared.spec);
    chosen = named.flatMap((image) => {
      const found = prepared.images.get(image.path);
      return found
        ? [{ ...image, label: format === 'folders' ? image.label : '', split: found.split, labels: found.labels }]
        : [];
    });
  }
  checkOutputBudget(
    job.pipeline,
    job.variantsPerSource,
    chosen.map((image) => ({
      width: image.width,
      height: image.height,
      format: image.format,
      field: `${FIELD}:${image.path}`,
    })),
    deps.config.budgets,
  );
  const sources = chosen.map((image): NewSource => {
    const sourceId = deterministicSourceId(job.id, image.path);
    return {
      sourceId,
      name: image.name,
      label: image.label,
      key: blobKeys.source(job.id, sourceId, image.name),
      entry: image.path,
      ...(image.split ? { split: image.split } : {}),
      ...(image.labels ? { labelsKey: blobKeys.sourceLabels(job.id, sourceId) } : {}),
      upload: { bytes: image.bytes, format: image.format, width: image.width, height: image.height },
    };
  });
  // The labels first: a source's write queues its work, which reads them.
  for (const [i, source] of sources.entries()) {
    const labels = chosen[i]?.labels;
    if (source.labelsKey && labels)
      await deps.blobs.put(source.labelsKey, Buffer.from(JSON.stringify(labels)), { contentType: 'application/json' });
  }
  await checkRecordedPrefix(deps, job, sources);
  await deps.jobs.handleJob(job.id, { type: 'ExpandDataset', sources, ...(dataset ? { dataset } : {}) });
};

/** The spec as events and the job record hold it: a long skipped list goes to its blob first. */
const boundedSpec = async (deps: DatasetExpansionDeps, jobId: string, spec: DatasetSpec): Promise<DatasetSpec> => {
  const bounded = boundSkipped(spec, blobKeys.datasetSkipped(jobId));
  if (bounded.all && bounded.spec.skippedKey)
    await deps.blobs.put(bounded.spec.skippedKey, Buffer.from(JSON.stringify(bounded.all)), {
      contentType: 'application/json',
    });
  return bounded.spec;
};

/**
 * A resumed expansion (`expandedSources` recorded by an earlier run that stopped between two steps) goes on
 * only when those are exactly the first sources of this reading: a zip replaced meanwhile is refused.
 */
const checkRecordedPrefix = async (deps: DatasetExpansionDeps, job: JobState, sources: readonly NewSource[]) => {
  const recorded = job.expandedSources ?? 0;
  if (recorded === 0) return;
  const expected = new Set(sources.slice(0, recorded).map((s) => s.sourceId));
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await deps.jobs.sources(job.id, { limit: 1000, cursor });
    cursor = page.cursor;
    for (const source of page.items) {
      seen++;
      if (!expected.has(source.sourceId)) throw changedZip(source.entry ?? source.name);
    }
  } while (cursor);
  if (seen !== recorded || recorded > sources.length) throw changedZip('its images');
};

const changedZip = (what: string) =>
  new RequestError('DATASET_CHANGED', `the zip changed while it was being read (${what} differs)`, 409, FIELD);

/** The job's recorded zip sources whose image is not stored yet, by their path in the zip. */
const sourcesToStore = async (deps: DatasetExpansionDeps, jobId: string) => {
  const missing = new Map<string, { key: string; sourceId: string; format: string }>();
  let cursor: string | undefined;
  do {
    const page = await deps.jobs.sources(jobId, { limit: 1000, cursor });
    cursor = page.cursor;
    for (const source of page.items) {
      if (source.entry !== undefined && !(await deps.blobs.head(source.key)))
        missing.set(source.entry, { key: source.key, sourceId: source.sourceId, format: source.format ?? '' });
    }
  } while (cursor);
  return missing;
};

/** How many images the second pass stores at once (each held in memory until stored: at most this many). */
const STORE_CONCURRENCY = 8;

/**
 * Second pass: each recorded image not stored yet is copied from the zip to its source key (which queues its
 * work), `STORE_CONCURRENCY` at a time; the zip is read on only while a slot is free. It returns (or throws) once
 * every write it started has settled, so none lands after it.
 */
const storeImages = async (deps: DatasetExpansionDeps, jobId: string, upload: DatasetUpload, size: number) => {
  const missing = await sourcesToStore(deps, jobId);
  if (missing.size === 0) return;
  const pool = limitedPool(STORE_CONCURRENCY);
  try {
    await walkDatasetZip(await openStoredZip(deps, upload.key, size), FIELD, limitsOf(deps), async (entry, data) => {
      const source = missing.get(entry.path);
      if (!source) return;
      await pool.run(async () => {
        await deps.blobs.put(source.key, data, {
          contentType: CONTENT_TYPES[source.format] ?? 'application/octet-stream',
          metadata: { job: jobId, source: source.sourceId },
        });
      });
    });
  } catch (error) {
    await pool.settled().catch(() => undefined);
    throw error;
  }
  await pool.settled();
};

/**
 * Expands a job's uploaded dataset zip into its sources (issue 12 point 5): called for the zip's
 * ObjectCreated message. The zip is read from storage piecewise (ranged reads), checked with the rules and
 * limits of a multipart dataset, and its images become the job's sources; a zip that breaks a rule fails
 * the job with the reason. Idempotent: a redelivered message finds the sources recorded and stores only the
 * images still missing; a job that ended meanwhile (the upload deadline) is left alone. The sources are
 * recorded in steps (`SOURCES_PER_EXPANSION_STEP`, one DynamoDB transaction each) with `DatasetExpanded` last:
 * a run killed between two steps leaves whole steps, which the next run (same ids, same order) skips.
 */
export const expandDataset = async (deps: DatasetExpansionDeps, jobId: string): Promise<void> => {
  const job = await deps.jobs.load(jobId);
  const upload = job?.datasetUpload;
  if (!job || !upload || isJobTerminal(job)) return;
  const head = await deps.blobs.head(upload.key);
  if (!head) throw new Error(`dataset zip ${upload.key} is not stored yet`);
  if (!job.datasetExpanded) {
    try {
      if (head.size !== upload.bytes)
        throw new RequestError('SIZE_MISMATCH', `the zip is ${head.size} bytes, not the ${upload.bytes} declared`, 400);
      await recordSources(deps, job, upload, head.size);
    } catch (error) {
      if (!(error instanceof RequestError)) throw error;
      const reason = `the dataset zip ${upload.name} was refused: ${error.message}`;
      deps.log?.('dataset refused', { jobId, reason });
      await deps.jobs.handleJob(jobId, { type: 'RejectDataset', reason });
      return;
    }
  }
  const after = await deps.jobs.load(jobId);
  if (!after?.datasetExpanded || isJobTerminal(after)) return;
  await storeImages(deps, jobId, upload, head.size);
};
