import { DeltaError } from '../errors.js';

/**
 * A pipeline spec (or preset name) that cannot be run. `field` names the offending field as a path
 * into the spec, e.g. `steps[2].probability`, `preset` or `seed`; the gateway reports it as a 4xx.
 */
export class PipelineSpecError extends DeltaError {
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super('INVALID_PIPELINE', `${field}: ${message}`, options);
    this.name = 'PipelineSpecError';
    this.field = field;
  }
}
