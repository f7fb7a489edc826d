import {
  blobKeys,
  checkVariantPixels,
  DeltaError,
  decideComplete,
  decideDeadLetter,
  decideFailure,
  decideFinalise,
  decideFinaliseFailed,
  decideRedrive,
  decideStart,
  decideUpload,
  decideVariant,
  type ImageLabels,
  isOriginalOutput,
  isSourceSettled,
  type JobState,
  NotFoundError,
  needsFinalising,
  outputsOf,
  PermanentError,
  resolvePipeline,
  type VariantLabelSummary,
} from '@delta-augment/core';
import { decodeSource, type EngineLimits, type RenderedVariant, renderVariant, thumbnail } from '@delta-augment/engine';
import type { BlobStore, Budgets, JobService } from '@delta-augment/ports';
import { writeArchive } from './archive.js';
import {
  checkJobBytes,
  headerPixels,
  jobOutputBytes,
  type PixelGate,
  variantTooSlow,
  withinSeconds,
} from './budget.js';
import { forEachLimited } from './limit.js';

export interface ProcessDeps {
  readonly blobs: BlobStore;
  readonly jobs: JobService;
  readonly limits: EngineLimits;
  /** Receives after which SQS moves the message to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Variants rendered at once for one source. */
  readonly renderConcurrency: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
  /**
   * Hands the job's finalisation (archive + terminal event) to the archiver (AWS: its own queue and
   * function), so that no upload record waits for a whole job's archive. Unset: finalised inline.
   */
  readonly requestFinalise?: (jobId: string) => Promise<void>;
  /** Output and time budgets (MAX_OUTPUT_PIXELS, MAX_JOB_OUTPUT_BYTES, MAX_VARIANT_SECONDS); unset: none. */
  readonly budgets?: Pick<Budgets, 'maxOutputPixels' | 'maxJobOutputBytes' | 'maxVariantSeconds'>;
  /** Bounds the pixels this process decodes at once (WORKER_DECODE_PIXELS), shared by all its invocations. */
  readonly decodeGate?: PixelGate;
}

export interface SourceMessage {
  readonly jobId: string;
  readonly sourceId: string;
  readonly key: string;
  /** The message's ApproximateReceiveCount: the attempt number. */
  readonly attempt: number;
  readonly signal?: AbortSignal;
}

/** Errors that can never succeed on retry: bad input, bad spec, missing source object. */
const isPermanent = (error: unknown): boolean =>
  error instanceof PermanentError ||
  (error instanceof DeltaError && (error.code === 'INVALID_PIPELINE' || error.code === 'PERMANENT'));

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Augments one source of a job, idempotently: settled sources are skipped, variants already recorded
 * are not rendered again, and output keys are deterministic. Resolves when the message may be deleted;
 * rejects when it must be retried.
 */
export const processSource = async (deps: ProcessDeps, message: SourceMessage): Promise<void> => {
  const { jobs } = deps;
  const { jobId, sourceId, attempt } = message;
  const state = await jobs.load(jobId);
  const source = state?.sources.find((s) => s.sourceId === sourceId);
  if (!state || !source) {
    deps.log?.('message for an unknown job or source acknowledged', { jobId, sourceId });
    return;
  }
  if (source.status === 'dead-lettered') {
    // Only a redrive brings a dead-lettered source's message back to the upload queue.
    await jobs.updateExisting(jobId, (s) => decideRedrive(s, sourceId));
  } else if (isSourceSettled(source)) {
    await finaliseOrGiveUp(deps, jobId, attempt);
    return;
  }
  await jobs.updateExisting(jobId, (s) => decideStart(s, sourceId, attempt));
  let settled: JobState | undefined;
  try {
    await renderSource(deps, message);
    ({ state: settled } = await jobs.updateExisting(jobId, (s) => decideComplete(s, sourceId)));
  } catch (error) {
    const reason = reasonOf(error);
    if (isPermanent(error)) {
      deps.log?.('source failed permanently', { jobId, sourceId, reason });
      ({ state: settled } = await jobs.updateExisting(jobId, (s) =>
        decideFailure(s, { sourceId, reason, attempt, final: true }),
      ));
    } else if (attempt >= deps.maxReceiveCount) {
      deps.log?.('source dead-lettered', { jobId, sourceId, reason, attempt });
      await jobs.updateExisting(jobId, (s) => decideDeadLetter(s, sourceId, `after ${attempt} attempts: ${reason}`));
      await finaliseOrGiveUp(deps, jobId, attempt);
      throw error;
    } else {
      await jobs.updateExisting(jobId, (s) => decideFailure(s, { sourceId, reason, attempt, final: false }));
      throw error;
    }
  }
  if (settled && needsFinalising(settled)) await finaliseOrGiveUp(deps, jobId, attempt);
};

/**
 * Finalises the job; a finalisation that still fails at the message's last allowed attempt (the archive
 * cannot be written, say) is recorded as the job's failure, so that the job ends instead of waiting forever
 * with its message in the dead-letter queue and nothing on the job to say why.
 */
export const finaliseOrGiveUp = async (
  deps: Pick<ProcessDeps, 'blobs' | 'jobs' | 'maxReceiveCount' | 'log' | 'requestFinalise'>,
  jobId: string,
  attempt: number,
): Promise<void> => {
  if (deps.requestFinalise) return deps.requestFinalise(jobId);
  try {
    await finaliseJob(deps, jobId);
  } catch (error) {
    if (attempt < deps.maxReceiveCount) throw error;
    const reason = `the job could not be finalised after ${attempt} attempts: ${reasonOf(error)}`;
    deps.log?.('job failed: finalising it kept failing', { jobId, reason });
    await deps.jobs.updateExisting(jobId, (s) => decideFinaliseFailed(s, reason));
  }
};

const renderSource = async (deps: ProcessDeps, message: SourceMessage): Promise<void> => {
  const { blobs } = deps;
  const { key } = message;
  const input = await blobs.getBuffer(key).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new PermanentError(`source object ${key} is missing`, { cause: error });
    throw error;
  });
  const releasePixels = await deps.decodeGate?.acquire((await headerPixels(input)) ?? deps.limits.maxPixels);
  try {
    await renderDecoded(deps, message, input);
  } finally {
    releasePixels?.();
  }
};

const renderDecoded = async (deps: ProcessDeps, message: SourceMessage, input: Buffer): Promise<void> => {
  const { jobs, blobs } = deps;
  const { jobId, sourceId, key } = message;
  const decoded = await decodeSource(input, deps.limits);
  const state = await jobs.load(jobId);
  if (!state) throw new PermanentError(`job ${jobId} was deleted while it was processed`);
  const pipeline = resolvePipeline(state.pipeline);
  if (deps.budgets) checkVariantPixels(pipeline.spec, decoded, deps.budgets);
  const written = { bytes: jobOutputBytes(state) };
  await jobs.updateExisting(jobId, (s) =>
    decideUpload(s, {
      sourceId,
      bytes: input.length,
      format: decoded.format,
      width: decoded.width,
      height: decoded.height,
    }),
  );
  const thumbKey = blobKeys.thumbnail(jobId, sourceId);
  if (!(await blobs.head(thumbKey))) {
    await blobs.put(thumbKey, await thumbnail(decoded), { contentType: 'image/webp' });
  }
  const source = state.sources.find((s) => s.sourceId === sourceId);
  const done = source?.variants ?? {};
  const outputs = source ? outputsOf(state, source) : state.variantsPerSource;
  const todo = Array.from({ length: outputs }, (_, i) => i).filter((i) => !done[i]);
  const labels = source?.labelsKey ? await readLabels(blobs, source.labelsKey) : undefined;
  const minVisibility = state.dataset?.minVisibility ?? 0.25;
  await forEachLimited(todo, deps.renderConcurrency, async (index) => {
    if (message.signal?.aborted) throw new DeltaError('TIMEOUT', 'the handler ran out of time');
    checkJobBytes(written.bytes, deps.budgets);
    const original = source !== undefined && state.dataset !== undefined && isOriginalOutput(state, source, index);
    const render = () => renderVariant(decoded, pipeline, index, labels ? { labels, minVisibility } : undefined);
    const variant = original
      ? originalOutput(input, key, labels)
      : deps.budgets
        ? await withinSeconds(deps.budgets.maxVariantSeconds, render, () => variantTooSlow(deps.budgets, index))
        : await render();
    written.bytes += variant.data.length;
    const variantKey = blobKeys.variant(jobId, sourceId, index, variant.extension);
    await blobs.put(variantKey, variant.data, { contentType: variant.contentType });
    const summary = variant.labels
      ? await writeVariantLabels(blobs, blobKeys.variantLabels(jobId, sourceId, index), variant.labels, state)
      : undefined;
    await jobs.updateExisting(jobId, (s) =>
      decideVariant(s, {
        sourceId,
        index,
        key: variantKey,
        bytes: variant.data.length,
        operations: variant.operations,
        ...(summary ? { labels: summary } : {}),
      }),
    );
  });
};

const readLabels = async (blobs: BlobStore, key: string): Promise<ImageLabels> => {
  const raw = await blobs.getBuffer(key).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new PermanentError(`the labels ${key} are missing`, { cause: error });
    throw error;
  });
  return JSON.parse(raw.toString('utf8')) as ImageLabels;
};

const CONTENT_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  avif: 'image/avif',
};

/** An original output: the source's own bytes and labels, unchanged. */
const originalOutput = (input: Buffer, key: string, labels: ImageLabels | undefined) => {
  const extension = (key.slice(key.lastIndexOf('.') + 1) || 'jpg').toLowerCase();
  return {
    data: input,
    extension,
    contentType: CONTENT_TYPE_BY_EXTENSION[extension] ?? 'application/octet-stream',
    operations: [],
    ...(labels ? { labels: { labels, dropped: [] } } : {}),
  };
};

/** Stores an output's labels and what was dropped; returns the summary its event carries. */
const writeVariantLabels = async (
  blobs: BlobStore,
  key: string,
  followed: NonNullable<RenderedVariant['labels']>,
  state: JobState,
): Promise<VariantLabelSummary> => {
  await blobs.put(key, Buffer.from(JSON.stringify(followed)), { contentType: 'application/json' });
  const kept = new Array<number>(state.dataset?.categories.length ?? 0).fill(0);
  for (const object of followed.labels.objects) kept[object.category] = (kept[object.category] ?? 0) + 1;
  return { key, kept, dropped: followed.dropped.length };
};

/** Writes the archive and the terminal event once every source is settled. Safe to run twice. */
export const finaliseJob = async (deps: Pick<ProcessDeps, 'blobs' | 'jobs'>, jobId: string): Promise<void> => {
  const state = await deps.jobs.load(jobId);
  if (!state || !needsFinalising(state)) return;
  const anyCompleted = state.sources.some((s) => s.status === 'completed');
  const archive = anyCompleted ? await writeArchive(deps.blobs, state) : undefined;
  await deps.jobs.updateExisting(jobId, (s) => decideFinalise(s, archive));
};
