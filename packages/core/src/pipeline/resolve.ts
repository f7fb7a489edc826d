import type { PipelineChoice } from '../jobs/events.js';
import { PipelineSpecError } from './errors.js';
import { DEFAULT_PRESET, PRESETS } from './presets.js';
import type { ResolvedPipeline } from './types.js';
import { validateSeed, validateSpec } from './validate.js';

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PipelineSpecError('spec', `is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Resolves a job's pipeline choice. Rules:
 * - `spec` given (an object, or its JSON text): it is validated and used (naming a `preset` as well is
 *   an error, field `preset`);
 * - `preset` given: the named preset (unknown names are an error, field `preset`);
 * - neither: the `delta-classic` preset.
 * Seed: the spec's own `seed` when it has one, otherwise the choice's `seed`.
 * Throws {@link PipelineSpecError} (code INVALID_PIPELINE) naming the bad field.
 */
export function resolvePipeline(choice: PipelineChoice): ResolvedPipeline {
  if (choice.spec !== undefined && choice.spec !== null && choice.preset !== undefined) {
    throw new PipelineSpecError('preset', 'give either a preset or a pipeline spec, not both');
  }
  let specInput: unknown;
  let presetName: string | undefined;
  if (choice.spec !== undefined && choice.spec !== null) {
    specInput = typeof choice.spec === 'string' ? parseJson(choice.spec) : choice.spec;
  } else {
    presetName = choice.preset ?? DEFAULT_PRESET;
    specInput = Object.hasOwn(PRESETS, presetName) ? PRESETS[presetName] : undefined;
    if (specInput === undefined) {
      throw new PipelineSpecError(
        'preset',
        `unknown preset '${presetName}'; known presets: ${Object.keys(PRESETS).join(', ')}`,
      );
    }
  }
  const spec = validateSpec(specInput);
  const seed = spec.seed ?? validateSeed(choice.seed, 'seed');
  return { name: presetName ?? spec.name ?? 'custom', seed, spec };
}
