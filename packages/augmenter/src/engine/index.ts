/**
 * The augmentation engine: pure image processing with sharp (no AWS, no queue).
 *
 * decodeSource() once per source → resolvePipeline() once per job → renderVariant() per variant,
 * deterministic in (pipeline, source digest, index).
 */
export { decodeSource, INPUT_FORMATS } from './decode.js';
export { defaultFormat, FORMATS } from './encode.js';
export { PipelineSpecError } from './errors.js';
export { DEFAULT_PRESET, PRESETS } from './presets.js';
export { type Preview, type PreviewVariant, renderPreview } from './preview.js';
export { renderVariant } from './render.js';
export { resolvePipeline } from './resolve.js';
export { Rng, variantRng } from './rng.js';
export { OPERATION_NAMES, OPERATIONS, SPEC_LIMITS } from './spec/catalogue.js';
export { pipelineJsonSchema } from './spec/schema.js';
export type { OneOfStep, OpStep, PipelineSpec, SomeOfStep, Step } from './spec/types.js';
export { validateSpec } from './spec/validate.js';
export { thumbnail } from './thumbnail.js';
export { cpuNow, type Phase, phaseTotals, recordPhases } from './timing.js';
export type {
  DecodedSource,
  EngineLimits,
  OutputFormat,
  RenderedVariant,
  ResolvedPipeline,
} from './types.js';
