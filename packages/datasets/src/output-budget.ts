import { outputPixelBound, type PipelineChoice, resolvePipeline, variantPixelLimit } from '@delta-augment/core';
import type { Budgets } from '@delta-augment/ports';
import { RequestError } from './errors.js';

/**
 * Refuses a job before anything is stored when its outputs could pass the budgets: the pixels of one
 * variant (MAX_OUTPUT_PIXELS) or of all of them (MAX_JOB_OUTPUT_PIXELS), bounded from the pipeline and the
 * sources' header dimensions. A 237-byte PNG resized to 10000×10000 is a 422 here, not 971 MB on disk.
 */
export const checkOutputBudget = (
  pipeline: PipelineChoice,
  variants: number,
  images: readonly {
    readonly width: number;
    readonly height: number;
    readonly field: string;
    readonly format?: string;
  }[],
  budgets: Pick<Budgets, 'maxOutputPixels' | 'maxJobOutputPixels'> & Partial<Pick<Budgets, 'maxAvifOutputPixels'>>,
): void => {
  const { spec } = resolvePipeline(pipeline);
  let total = 0;
  for (const image of images) {
    const bound = outputPixelBound(spec, image.width, image.height);
    const { limit, name, why } = variantPixelLimit(spec, image.format, budgets);
    if (bound > limit) {
      throw new RequestError(
        'OUTPUT_TOO_LARGE',
        `a variant of ${image.field} (${image.width}×${image.height}) can have ${bound} pixels with this pipeline; the limit (${name}) is ${limit}${why}`,
        422,
        'pipeline',
      );
    }
    total += bound * variants;
  }
  if (total > budgets.maxJobOutputPixels) {
    throw new RequestError(
      'OUTPUT_TOO_LARGE',
      `the job's ${variants} variants per source can have ${total} pixels in all; the limit (MAX_JOB_OUTPUT_PIXELS) is ${budgets.maxJobOutputPixels}`,
      422,
      'variants',
    );
  }
};
