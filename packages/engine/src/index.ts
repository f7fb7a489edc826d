/**
 * The augmentation engine: pure image processing with sharp (no AWS, no queue).
 *
 * decodeSource() once per source → resolvePipeline() (from @delta-augment/core) once per job → renderVariant() per variant,
 * deterministic in (pipeline, source digest, index).
 */
import sharp from 'sharp';

// Every render starts from a new raw buffer, so libvips' operation cache never hits: it would only
// hold on to memory (tens of MB per worker).
sharp.cache(false);

export { decodeSource, INPUT_FORMATS } from './decode.js';
export { defaultFormat, FORMATS, isStoppedAtDeadline, RenderStoppedError } from './encode.js';
export { type Preview, type PreviewVariant, renderPreview } from './preview.js';
export { type RenderLimits, renderVariant } from './render.js';
export { Rng, variantRng } from './rng.js';
export { thumbnail } from './thumbnail.js';
export { cpuNow, type Phase, phaseTotals, recordPhases } from './timing.js';
export type {
  DecodedSource,
  EngineLimits,
  OutputFormat,
  Partner,
  Partners,
  RenderedVariant,
  ResolvedPipeline,
} from './types.js';
