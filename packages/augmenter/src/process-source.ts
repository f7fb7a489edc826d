import {
  blobKeys,
  checkVariantPixels,
  DeltaError,
  forEachLimited,
  hasIndex,
  type ImageLabels,
  isOriginalOutput,
  isSourceSettled,
  type JobState,
  NotFoundError,
  needsFinalising,
  outputsOf,
  PermanentError,
  type PipelineSpec,
  resolvePipeline,
  type SourceState,
  VARIANTS_PER_EVENT,
  type VariantLabelSummary,
} from '@delta-augment/core';
import {
  decodeSource,
  type EngineLimits,
  isStoppedAtDeadline,
  type RenderedVariant,
  renderVariant,
  thumbnail,
} from '@delta-augment/engine';
import type { BlobStore, Budgets, JobService } from '@delta-augment/ports';
import {
  checkJobBytes,
  headerSize,
  type PixelGate,
  sourceWorkingPixels,
  variantTooSlow,
  withinSeconds,
} from './budget.js';
import { type FinaliseDeps, finaliseOrGiveUp } from './finalise-job.js';
import { isJobDeleted, JobDeletedError, sweepDeletedJob, watchJob } from './job-watch.js';
import { partnersOf, usesPartners } from './partners.js';
import { VariantBatcher } from './variant-batcher.js';

export interface ProcessDeps extends FinaliseDeps {
  readonly blobs: BlobStore;
  readonly jobs: JobService;
  readonly limits: EngineLimits;
  /** Variants rendered at once for one source. */
  readonly renderConcurrency: number;
  /** Longest wait before written variants are recorded (default 250 ms). */
  readonly batchDelayMs?: number;
  /** Output and time budgets (MAX_OUTPUT_PIXELS, MAX_JOB_OUTPUT_BYTES, MAX_VARIANT_SECONDS); unset: none. */
  readonly budgets?: Pick<Budgets, 'maxOutputPixels' | 'maxJobOutputBytes' | 'maxVariantSeconds'> &
    Partial<Pick<Budgets, 'maxAvifOutputPixels'>>;
  /** Bounds the pixels this process decodes at once (WORKER_DECODE_PIXELS), shared by all its invocations. */
  readonly decodeGate?: PixelGate;
  /** Bounds the sources this process decodes and renders at once (a gate counted in sources); unset: no bound. */
  readonly sourceGate?: PixelGate;
  /** Milliseconds between checks that the job still exists while its source renders (default 1000). */
  readonly deletionCheckMs?: number;
}

export interface SourceMessage {
  readonly jobId: string;
  readonly sourceId: string;
  readonly key: string;
  /** The message's ApproximateReceiveCount: the attempt number. */
  readonly attempt: number;
  readonly signal?: AbortSignal;
  /** Epoch ms at which the invocation must stop its work (its deadline); unset: none. */
  readonly stopAt?: number;
}

/** Errors that can never succeed on retry: bad input, bad spec, missing source object. */
const isPermanent = (error: unknown): boolean =>
  error instanceof PermanentError ||
  (error instanceof DeltaError && (error.code === 'INVALID_PIPELINE' || error.code === 'PERMANENT'));

const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Augments one source of a job, idempotently: settled sources are skipped, variants already recorded
 * are not rendered again, and output keys are deterministic. Every write goes to this source's own
 * aggregate (its record and the job's counters), never to a whole-job state. Resolves when the message may
 * be deleted; rejects when it must be retried.
 *
 * A job deleted before or while its source is processed stops the work (the renders in flight are aborted,
 * no more variants start) and everything the job has in the blob store is removed again once this worker's
 * writes have all landed; the message is then acknowledged.
 */
export const processSource = async (deps: ProcessDeps, message: SourceMessage): Promise<void> => {
  const { jobs } = deps;
  const { jobId, sourceId } = message;
  const [job, found] = await Promise.all([jobs.load(jobId), jobs.loadSource(jobId, sourceId)]);
  if (!job) {
    // A job is recorded before any of its objects is stored, so a message without its job is about a
    // deleted one: whatever was written for it after the deletion goes too.
    deps.log?.('message for a deleted or unknown job acknowledged; its files removed', { jobId, sourceId });
    await sweepDeletedJob(deps.blobs, jobId);
    return;
  }
  if (!found) {
    deps.log?.('message for an unknown source acknowledged', { jobId, sourceId });
    return;
  }
  const watch = watchJob(jobs, jobId, message.signal, deps.deletionCheckMs);
  try {
    await processLiveSource(deps, { ...message, signal: watch.signal }, job, found);
  } catch (error) {
    if (!watch.deleted && !(await isJobDeleted(jobs, jobId))) throw error;
  } finally {
    watch.dispose();
  }
  // The deletion may also have come after the last check: one more read of the job's small record.
  if (watch.deleted || (await isJobDeleted(jobs, jobId))) {
    deps.log?.('job deleted while it was processed: work stopped, its files removed', { jobId, sourceId });
    await sweepDeletedJob(deps.blobs, jobId);
  }
};

const processLiveSource = async (
  deps: ProcessDeps,
  message: SourceMessage,
  job: JobState,
  found: SourceState,
): Promise<void> => {
  const { jobs } = deps;
  const { jobId, sourceId, attempt } = message;
  let source = found;
  if (source.status === 'dead-lettered') {
    // Only a redrive brings a dead-lettered source's message back to the upload queue.
    source = (await jobs.handleSource(jobId, sourceId, { type: 'RedriveSource' }, source)).source ?? source;
  } else if (isSourceSettled(source)) {
    await finaliseOrGiveUp(deps, jobId, attempt);
    return;
  }
  source = (await jobs.handleSource(jobId, sourceId, { type: 'StartSource', attempt }, source)).source ?? source;
  let settled: JobState | undefined;
  try {
    source = await renderSource(deps, message, job, source);
    ({ job: settled } = await jobs.handleSource(jobId, sourceId, { type: 'CompleteSource' }, source));
  } catch (error) {
    if (error instanceof JobDeletedError) throw error;
    const reason = reasonOf(error);
    if (isPermanent(error)) {
      deps.log?.('source failed permanently', { jobId, sourceId, reason });
      ({ job: settled } = await jobs.handleSource(jobId, sourceId, {
        type: 'FailSource',
        reason,
        attempt,
        final: true,
      }));
    } else if (attempt >= deps.maxReceiveCount) {
      deps.log?.('source dead-lettered', { jobId, sourceId, reason, attempt });
      const reasonText = `after ${attempt} attempts: ${reason}`;
      await jobs.handleSource(jobId, sourceId, { type: 'DeadLetterSource', reason: reasonText });
      await finaliseOrGiveUp(deps, jobId, attempt);
      throw error;
    } else {
      await jobs.handleSource(jobId, sourceId, { type: 'FailSource', reason, attempt, final: false });
      throw error;
    }
  }
  if (settled && needsFinalising(settled)) await finaliseOrGiveUp(deps, jobId, attempt);
};

/** Renders the variants the source has not recorded yet, recording them in batches; returns the source after. */
const renderSource = async (
  deps: ProcessDeps,
  message: SourceMessage,
  job: JobState,
  start: SourceState,
): Promise<SourceState> => {
  const { blobs } = deps;
  const { key } = message;

  const input = await blobs.getBuffer(key).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new PermanentError(`source object ${key} is missing`, { cause: error });
    throw error;
  });
  const releaseSource = await deps.sourceGate?.acquire(1);
  try {
    const releasePixels = await deps.decodeGate?.acquire(await workingPixels(deps, job, input));
    try {
      return await renderDecoded(deps, message, job, start, input);
    } finally {
      releasePixels?.();
    }
  } finally {
    releaseSource?.();
  }
};

/** What the source will hold (decoded input and render buffers), for the worker's pixel gate. */
const workingPixels = async (deps: ProcessDeps, job: JobState, input: Buffer): Promise<number> => {
  const size = await headerSize(input);
  if (!size) return deps.limits.maxPixels;
  let spec: PipelineSpec | undefined;
  try {
    spec = resolvePipeline(job.pipeline).spec;
  } catch {
    spec = undefined; // the render reports the pipeline's error
  }
  return sourceWorkingPixels(size, spec, deps.renderConcurrency);
};

const renderDecoded = async (
  deps: ProcessDeps,
  message: SourceMessage,
  job: JobState,
  start: SourceState,
  input: Buffer,
): Promise<SourceState> => {
  const { jobs, blobs } = deps;
  const { jobId, sourceId, key } = message;
  const decoded = await decodeSource(input, deps.limits);
  const pipeline = resolvePipeline(job.pipeline);
  if (deps.budgets) checkVariantPixels(pipeline.spec, decoded, deps.budgets);
  // The job's variant bytes so far, from its counter: no read of the job's variants.
  const jobBytes = { bytes: job.counts.bytes };
  const facts = { bytes: input.length, format: decoded.format, width: decoded.width, height: decoded.height };
  let source = (await jobs.handleSource(jobId, sourceId, { type: 'RecordUpload', facts }, start)).source ?? start;
  const thumbKey = blobKeys.thumbnail(jobId, sourceId);
  if (!(await blobs.head(thumbKey))) {
    await blobs.put(thumbKey, await thumbnail(decoded), { contentType: 'image/webp' });
  }
  const written = source.written;
  const todo = Array.from({ length: outputsOf(job, source) }, (_, i) => i).filter((i) => !hasIndex(written, i));
  const labels = source.labelsKey ? await readLabels(blobs, source.labelsKey) : undefined;
  const minVisibility = job.dataset?.minVisibility ?? 0.25;
  // Mosaic draws from the job's other images of the same split.
  const partners = usesPartners(pipeline.spec) ? await partnersOf(deps, jobId, source) : undefined;
  const batcher = new VariantBatcher(
    async (variants) => {
      // The batch's files are made durable together before the event that records them.
      await blobs.sync(variants.flatMap((v) => (v.labels ? [v.key, v.labels.key] : [v.key])));
      const out = await jobs.handleSource(jobId, sourceId, { type: 'RecordVariants', variants }, source);
      source = out.source ?? source;
    },
    VARIANTS_PER_EVENT,
    deps.batchDelayMs ?? 250,
  );
  try {
    await forEachLimited(todo, deps.renderConcurrency, async (index) => {
      if (message.signal?.aborted) throw stopReason(message.signal);
      checkJobBytes(jobBytes.bytes, deps.budgets);
      // The render stops at its own deadline (MAX_VARIANT_SECONDS) or the invocation's, whichever is first,
      // and between stages once the invocation is told to stop or the job is deleted.
      const render = async (signal?: AbortSignal, variantStopAt?: number) => {
        const stopAt = earliest(variantStopAt, message.stopAt);
        try {
          return await renderVariant(
            decoded,
            pipeline,
            index,
            labels ? { labels, minVisibility } : undefined,
            {
              signal: signal && message.signal ? AbortSignal.any([signal, message.signal]) : (signal ?? message.signal),
              stopAt,
            },
            partners,
          );
        } catch (error) {
          if (!isStoppedAtDeadline(error)) throw error;
          // Stopped by libvips at the deadline: the variant's own (it can never finish: permanent) or the invocation's.
          throw stopAt === variantStopAt ? variantTooSlow(deps.budgets, index) : stopReason(AbortSignal.abort());
        }
      };
      const original = job.dataset !== undefined && isOriginalOutput(job, source, index);
      const variant = original
        ? originalOutput(input, key, labels)
        : deps.budgets
          ? await withinSeconds(deps.budgets.maxVariantSeconds, render, () => variantTooSlow(deps.budgets, index))
          : await render();
      jobBytes.bytes += variant.data.length;
      const variantKey = blobKeys.variant(jobId, sourceId, index, variant.extension);
      await blobs.put(variantKey, variant.data, { contentType: variant.contentType, deferSync: true });
      const summary = variant.labels
        ? await writeVariantLabels(blobs, blobKeys.variantLabels(jobId, sourceId, index), variant.labels, job)
        : undefined;
      batcher.add({
        index,
        key: variantKey,
        bytes: variant.data.length,
        operations: variant.operations,
        ...(summary ? { labels: summary } : {}),
      });
    });
  } finally {
    // What was written is recorded even when a later variant failed, so a retry does not render it again.
    await batcher.close();
  }
  return source;
};

const earliest = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.min(a, b);

/** Why the work must stop: the job was deleted, or the invocation ran out of time. */
const stopReason = (signal: AbortSignal): Error =>
  signal.reason instanceof JobDeletedError ? signal.reason : new DeltaError('TIMEOUT', 'the handler ran out of time');

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
  job: JobState,
): Promise<VariantLabelSummary> => {
  await blobs.put(key, Buffer.from(JSON.stringify(followed)), { contentType: 'application/json', deferSync: true });
  const kept = new Array<number>(job.dataset?.categories.length ?? 0).fill(0);
  for (const object of followed.labels.objects) kept[object.category] = (kept[object.category] ?? 0) + 1;
  return { key, kept, dropped: followed.dropped.length };
};
