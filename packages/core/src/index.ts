/**
 * The pure domain of Delta Augment: job events, their fold and decisions, the pipeline spec with its
 * JSON Schema and validation, errors, blob keys and S3-event parsing. No I/O, no SDK: the browser can import it.
 */
export * from './archive-request.js';
export * from './clock.js';
export * from './errors.js';
export * from './jobs/decide.js';
export * from './jobs/events.js';
export * from './jobs/state.js';
export * from './jobs/variant-set.js';
export * from './keys.js';
export * from './labels/index.js';
export * from './limit.js';
export { OPERATION_NAMES, OPERATIONS, OUTPUT_FORMATS, type ParamDef, SPEC_LIMITS } from './pipeline/catalogue.js';
export { PipelineSpecError } from './pipeline/errors.js';
export {
  checkVariantPixels,
  type OutputPixelBudgets,
  outputPixelBound,
  variantPixelLimit,
  writesAvif,
} from './pipeline/output-bound.js';
export { DEFAULT_PRESET, PRESETS } from './pipeline/presets.js';
export { resolvePipeline } from './pipeline/resolve.js';
export { pipelineJsonSchema } from './pipeline/schema.js';
export type {
  OneOfStep,
  OpStep,
  OutputFormat,
  ParamValue,
  PipelineSpec,
  ResolvedPipeline,
  SomeOfStep,
  Step,
} from './pipeline/types.js';
export { validateSeed, validateSpec } from './pipeline/validate.js';
export * from './s3-event.js';
