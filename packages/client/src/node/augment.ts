import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createApi, ok } from '../client.js';
import { ApiError } from '../errors.js';
import type { JobView, SignedUpload } from '../types.js';
import { postDataset, zipFolder } from './dataset.js';
import { downloadAndExtract } from './download.js';
import { InputError, type InputFile, type ScannedInput, scanInput } from './scan.js';
import { sendWithRetry } from './send.js';
import { uploadSources } from './upload.js';
import { fingerprintOf, readState, removeState, type UploadState, writeState } from './upload-state.js';
import { watchJob } from './watch.js';

/** The job's options, as the API names them. */
export interface JobOptions {
  readonly variants?: number;
  readonly preset?: string;
  /** A pipeline spec (the JSON of `--pipeline file.json`). */
  readonly pipeline?: unknown;
  readonly seed?: number;
  readonly tags?: readonly string[];
  /** Labelled datasets: `coco`, `yolo`, `voc` or `folders`. */
  readonly export?: string;
  /** Labelled datasets: train,valid,test percentages, e.g. `80,10,10`. */
  readonly split?: string;
  /** Labelled datasets: the input layout, default `auto`. */
  readonly format?: string;
  /** POSTed a signed JSON document when the job ends; the secret comes back once, in the `job` event. */
  readonly webhookUrl?: string;
}

export type AugmentEvent =
  | { type: 'scanned'; images: number; labels: number; bytes: number; mode: 'signed' | 'dataset' }
  | { type: 'job'; jobId: string; resumed: boolean; webhookSecret?: string }
  | { type: 'upload-start'; totalBytes: number; totalFiles: number }
  | { type: 'upload-bytes'; delta: number }
  | { type: 'uploaded'; file: string; sourceId?: string; skipped: boolean }
  | { type: 'progress'; done: number; total: number; status: string }
  | { type: 'download-start'; totalBytes: number }
  | { type: 'download-bytes'; delta: number }
  | { type: 'done'; jobId: string; out: string; files: number; failedSources: number };

export interface AugmentOptions extends JobOptions {
  readonly url: string;
  readonly key?: string;
  /** A folder of images (sub-folders are class labels; label files are passed through) or a dataset .zip. */
  readonly input: string;
  /** Where the archive is extracted; default `<input name>-augmented` in the working directory. */
  readonly out?: string;
  /** Parallel uploads (default 4). */
  readonly concurrency?: number;
  /** Attempts per request on network failures and 429/5xx (default 6). */
  readonly attempts?: number;
  readonly backoffMs?: number;
  /** Upload speed limit in bytes per second. */
  readonly limitRate?: number;
  /** The resume file; default `<out>/.delta-augment-state.json`. */
  readonly stateFile?: string;
  readonly keepZip?: boolean;
  /**
   * A dataset zip over this many bytes goes through a signed upload (`POST /api/jobs` with `dataset`, then one
   * streamed PUT straight to storage: up to the server's MAX_DATASET_BYTES, 2 GiB by default) instead of one
   * multipart request (bounded by MAX_REQUEST_BYTES); default 100 MiB, 0: always.
   */
  readonly signedZipOver?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: AugmentEvent) => void;
}

/** The job ended `failed` (every source failed, or it could not be finalised). */
export class JobFailedError extends Error {
  constructor(
    readonly job: JobView,
    message: string,
  ) {
    super(message);
    this.name = 'JobFailedError';
  }
}

export interface AugmentResult {
  readonly job: JobView;
  readonly out: string;
  readonly files: readonly string[];
}

const usesDataset = (input: ScannedInput, options: JobOptions) =>
  input.kind === 'zip' ||
  input.labels.length > 0 ||
  options.split !== undefined ||
  options.export !== undefined ||
  options.format !== undefined;

/**
 * A dataset zip through a signed upload: the job is created from its name and size, then the zip is PUT
 * (streamed from disk, retried) to the one signed URL the answer carries; the server reads it from storage.
 */
const putDataset = async (
  api: ReturnType<typeof createApi>,
  zip: { path: string; name: string; bytes: number },
  options: JobOptions,
  common: { signal?: AbortSignal; limitRate?: number; attempts: number; backoffMs: number },
  onBytes: (delta: number) => void,
): Promise<JobView> => {
  const created = await ok(
    api.POST('/api/jobs', {
      body: {
        dataset: { name: zip.name, bytes: zip.bytes },
        ...jobFields(options),
        ...(options.format !== undefined ? { format: options.format as 'auto' } : {}),
        ...(options.export !== undefined ? { export: options.export as 'coco' } : {}),
        ...(options.split !== undefined ? { split: options.split } : {}),
      },
    }),
  );
  const upload = ('uploads' in created ? (created.uploads ?? [])[0] : undefined) as SignedUpload | undefined;
  if (!upload?.url) throw new Error('the server answered no signed URL for the dataset zip');
  const result = await sendWithRetry(
    {
      method: 'PUT',
      url: upload.url,
      headers: { 'content-type': 'application/zip' },
      body: () => createReadStream(zip.path),
      bytes: zip.bytes,
      onBytes,
      signal: common.signal,
      limitRate: common.limitRate,
    },
    { attempts: common.attempts, backoffMs: common.backoffMs, signal: common.signal },
  );
  if (result.status >= 300 && result.status !== 409) {
    let body: { error?: { code?: string; message?: string; field?: string } } = {};
    try {
      body = JSON.parse(result.body);
    } catch {}
    throw new ApiError(result.status, body.error?.code ?? `HTTP_${result.status}`, body.error?.message ?? result.body);
  }
  return created;
};

/** The webhook's signing secret, which only the creation answer carries. */
const secretOf = (job: JobView): { webhookSecret?: string } => {
  const secret = (job.webhook as { secret?: string } | undefined)?.secret;
  return secret ? { webhookSecret: secret } : {};
};

/** The JSON fields of the options, as `POST /api/jobs` takes them. */
const jobFields = (options: JobOptions) => ({
  ...(options.variants !== undefined ? { variants: options.variants } : {}),
  ...(options.preset !== undefined ? { preset: options.preset } : {}),
  ...(options.pipeline !== undefined ? { pipeline: options.pipeline as Record<string, never> } : {}),
  ...(options.seed !== undefined ? { seed: options.seed } : {}),
  ...(options.tags?.length ? { tags: [...options.tags] } : {}),
  ...(options.webhookUrl !== undefined ? { webhookUrl: options.webhookUrl } : {}),
});

/** The same options as multipart form fields. */
const formFields = (options: JobOptions): Record<string, string> => {
  const fields: Record<string, string> = {};
  if (options.variants !== undefined) fields.variants = String(options.variants);
  if (options.preset !== undefined) fields.preset = options.preset;
  if (options.pipeline !== undefined) fields.pipeline = JSON.stringify(options.pipeline);
  if (options.seed !== undefined) fields.seed = String(options.seed);
  if (options.tags?.length) fields.tags = options.tags.join(',');
  if (options.format !== undefined) fields.format = options.format;
  if (options.export !== undefined) fields.export = options.export;
  if (options.split !== undefined) fields.split = options.split;
  if (options.webhookUrl !== undefined) fields.webhookUrl = options.webhookUrl;
  return fields;
};

/**
 * The whole round trip: finds the inputs, creates the job, uploads (signed URLs, parallel, retried,
 * resumable through the state file; or one streamed dataset zip), follows the job to its end and
 * extracts its archive into `out`. Running it again after an interrupt carries on where it stopped.
 */
export const augment = async (options: AugmentOptions): Promise<AugmentResult> => {
  const emit = options.onEvent ?? (() => undefined);
  const api = createApi({ url: options.url, key: options.key });
  const input = await scanInput(options.input);
  const dataset = usesDataset(input, options);
  emit({
    type: 'scanned',
    images: input.kind === 'zip' ? 0 : input.images.length,
    labels: input.labels.length,
    bytes: input.totalBytes,
    mode: dataset ? 'dataset' : 'signed',
  });
  const out = resolve(options.out ?? `${basename(resolve(options.input)).replace(/\.zip$/i, '')}-augmented`);
  await mkdir(out, { recursive: true });
  const stateFile = options.stateFile ?? join(out, '.delta-augment-state.json');
  const fingerprint = fingerprintOf(input, { ...jobFields(options), ...formFields(options) }, options.url);
  const attempts = options.attempts ?? 6;
  const backoffMs = options.backoffMs ?? 500;
  const common = { signal: options.signal, limitRate: options.limitRate, attempts, backoffMs };

  let state = await readState(stateFile);
  let job: JobView | undefined;
  if (state?.fingerprint === fingerprint) {
    job = await ok(api.GET('/api/jobs/{id}', { params: { path: { id: state.jobId } } })).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return undefined;
      throw error;
    });
  }
  if (job && state) {
    emit({ type: 'job', jobId: state.jobId, resumed: true });
    if (!dataset && (job.status === 'created' || job.status === 'processing')) {
      // Sources are processed as they arrive, so a half-uploaded job may already be processing.
      const files = new Map<string, InputFile>();
      const byPath = new Map(input.images.map((f) => [f.relative, f]));
      for (const [sourceId, rel] of Object.entries(state.sources)) {
        const file = byPath.get(rel);
        if (!file) throw new InputError(`${rel} is gone from ${options.input}; delete ${stateFile} to start afresh`);
        files.set(sourceId, file);
      }
      emit({ type: 'upload-start', totalBytes: input.totalBytes, totalFiles: files.size });
      await uploadSources({
        ...common,
        api,
        jobId: state.jobId,
        files,
        concurrency: options.concurrency ?? 4,
        onBytes: (delta) => emit({ type: 'upload-bytes', delta }),
        onFile: (sourceId, file, skipped) => {
          if (skipped) emit({ type: 'upload-bytes', delta: file.bytes });
          emit({ type: 'uploaded', file: file.relative, sourceId, skipped });
        },
      });
    }
  } else if (dataset) {
    const temp = join(out, '.delta-augment-upload.zip');
    const zip =
      input.kind === 'zip'
        ? (input.images[0] as InputFile)
        : {
            path: temp,
            name: `${basename(resolve(options.input))}.zip`,
            bytes: await zipFolder([...input.images, ...input.labels], temp),
          };
    emit({ type: 'upload-start', totalBytes: zip.bytes, totalFiles: 1 });
    try {
      job =
        zip.bytes > (options.signedZipOver ?? 100 * 1024 ** 2)
          ? await putDataset(api, zip, options, common, (delta) => emit({ type: 'upload-bytes', delta }))
          : await postDataset<JobView>({
              ...common,
              url: options.url,
              key: options.key,
              zip,
              fields: formFields(options),
              onBytes: (delta) => emit({ type: 'upload-bytes', delta }),
            });
    } finally {
      if (input.kind === 'folder') await rm(zip.path, { force: true });
    }
    state = { version: 1, url: options.url, fingerprint, jobId: job.id ?? '', sources: {} };
    await writeState(stateFile, state);
    emit({ type: 'job', jobId: state.jobId, resumed: false, ...secretOf(job) });
    emit({ type: 'uploaded', file: zip.name, skipped: false });
  } else {
    const created = await ok(
      api.POST('/api/jobs', {
        body: {
          files: input.images.map((f) => ({ name: f.name, bytes: f.bytes, ...(f.label ? { label: f.label } : {}) })),
          ...jobFields(options),
        },
      }),
    );
    const uploads = ('uploads' in created ? (created.uploads ?? []) : []) as SignedUpload[];
    const sources: Record<string, string> = {};
    const files = new Map<string, InputFile>();
    uploads.forEach((upload, i) => {
      const file = input.images[i] as InputFile;
      sources[upload.sourceId ?? ''] = file.relative;
      files.set(upload.sourceId ?? '', file);
    });
    state = { version: 1, url: options.url, fingerprint, jobId: created.id ?? '', sources };
    await writeState(stateFile, state);
    job = created;
    emit({ type: 'job', jobId: state.jobId, resumed: false, ...secretOf(created) });
    emit({ type: 'upload-start', totalBytes: input.totalBytes, totalFiles: files.size });
    await uploadSources({
      ...common,
      api,
      jobId: state.jobId,
      files,
      uploads,
      concurrency: options.concurrency ?? 4,
      onBytes: (delta) => emit({ type: 'upload-bytes', delta }),
      onFile: (sourceId, file, skipped) => emit({ type: 'uploaded', file: file.relative, sourceId, skipped }),
    });
  }

  const jobId = (state as UploadState).jobId;
  const final = await watchJob({
    api,
    url: options.url,
    key: options.key,
    jobId,
    signal: options.signal,
    onJob: (j) =>
      emit({ type: 'progress', done: j.progress?.done ?? 0, total: j.progress?.total ?? 0, status: j.status ?? '' }),
  });
  if (final.status === 'failed') {
    await removeState(stateFile);
    throw new JobFailedError(final, `job ${jobId} failed: ${final.failure ?? 'every source failed'}`);
  }
  emit({ type: 'download-start', totalBytes: final.archive?.bytes ?? 0 });
  const { files } = await downloadAndExtract({
    url: options.url,
    key: options.key,
    jobId,
    out,
    keepZip: options.keepZip,
    signal: options.signal,
    onBytes: (delta) => emit({ type: 'download-bytes', delta }),
  });
  await removeState(stateFile);
  const failedSources = (final.sources ?? []).filter(
    (s) => s.status === 'failed' || s.status === 'dead-lettered',
  ).length;
  emit({ type: 'done', jobId, out, files: files.length, failedSources });
  return { job: final, out, files };
};
