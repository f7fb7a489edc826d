import { InfraConfigError } from './errors.js';

/** What one invocation of the augmenter may hold at once. */
export interface AugmenterLoad {
  /** `MAX_PIXELS`: the largest image the engine decodes. */
  readonly maxPixels: number;
  /** `MAX_FILE_BYTES`: the largest encoded source. */
  readonly maxFileBytes: number;
  /** Records per invocation: the handler works on all of them at once. */
  readonly batchSize: number;
  /** `RENDER_CONCURRENCY`: variants rendered at once per source. */
  readonly renderConcurrency: number;
}

const MB = 1024 * 1024;
/** Node, the bundle, sharp/libvips and the SDK clients at rest (measured RSS of a warm function, rounded up). */
export const BASE_MEMORY_MB = 320;
/** A decoded source is RGBA at one byte per channel. */
const BYTES_PER_PIXEL = 4;
/** A render holds a working copy and one intermediate of the source at most (geometry passes swap the two). */
const COPIES_PER_RENDER = 2;
/** Lambda's memory limits and the step this function rounds up to. */
export const LAMBDA_MAX_MEMORY_MB = 10_240;
const STEP_MB = 128;

/**
 * Memory the augmenter needs for its worst case: every record of a batch holding its encoded input and
 * its decoded pixels, plus `renderConcurrency` renders of two full-size copies each, on top of the
 * runtime. Rounded up to 128 MB. Throws when no Lambda is that large, naming what to lower.
 */
export const augmenterMemoryMb = (load: AugmenterLoad): number => {
  const decoded = load.maxPixels * BYTES_PER_PIXEL;
  const perRecord = load.maxFileBytes + decoded + load.renderConcurrency * COPIES_PER_RENDER * decoded;
  const needed = BASE_MEMORY_MB + (load.batchSize * perRecord) / MB;
  const memory = Math.ceil(needed / STEP_MB) * STEP_MB;
  if (memory > LAMBDA_MAX_MEMORY_MB) {
    throw new InfraConfigError(
      'batchSize',
      `${load.batchSize} records of up to ${load.maxPixels} pixels with ${load.renderConcurrency} renders each need ` +
        `${memory} MB, more than Lambda's ${LAMBDA_MAX_MEMORY_MB} MB: lower batchSize, renderConcurrency or maxPixels`,
    );
  }
  return Math.max(memory, 512);
};
