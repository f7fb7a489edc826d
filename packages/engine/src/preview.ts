import type { AppliedOperation, Step } from '@delta-augment/core';
import { decodeSource } from './decode.js';
import { renderVariant } from './render.js';
import type { EngineLimits, ResolvedPipeline } from './types.js';

/** A `resize` step scaled so that neither side passes `maxSide` (the other side keeps its ratio). */
const boundStep = (step: Step, maxSide: number): Step => {
  if (step.kind !== 'op') return { ...step, steps: step.steps.map((s) => boundStep(s, maxSide)) };
  if (step.op !== 'resize') return step;
  const width = typeof step.params.width === 'number' ? step.params.width : undefined;
  const height = typeof step.params.height === 'number' ? step.params.height : undefined;
  const scale = Math.min(1, maxSide / Math.max(width ?? 0, height ?? 0, 1));
  if (scale === 1) return step;
  const bounded = (side: number | undefined) =>
    side === undefined ? undefined : Math.max(1, Math.round(side * scale));
  return { ...step, params: { ...step.params, width: bounded(width), height: bounded(height) } };
};

/** The pipeline with its output sizes bounded, so that no preview variant is larger than `maxSide`. */
const boundPipeline = (pipeline: ResolvedPipeline, maxSide: number): ResolvedPipeline => ({
  ...pipeline,
  spec: { ...pipeline.spec, steps: pipeline.spec.steps.map((s) => boundStep(s, maxSide)) },
});

export interface PreviewVariant {
  readonly index: number;
  readonly width: number;
  readonly height: number;
  readonly contentType: string;
  readonly data: Buffer;
  readonly operations: AppliedOperation[];
}

export interface Preview {
  readonly source: { readonly width: number; readonly height: number; readonly format: string };
  readonly variants: PreviewVariant[];
}

/**
 * Renders variants 0..count-1 of one image as a job would draw them (same pipeline, seed and source digest,
 * so the same operations and parameters), on a copy shrunk to fit `maxSide` pixels; a `resize` step is scaled
 * down to fit too, so a preview's memory is bounded whatever the spec asks. Nothing is stored.
 */
export async function renderPreview(
  input: Buffer,
  pipeline: ResolvedPipeline,
  options: { readonly count: number; readonly maxSide: number; readonly limits: EngineLimits },
): Promise<Preview> {
  const decoded = await decodeSource(input, options.limits, { maxSide: options.maxSide });
  const bounded = boundPipeline(pipeline, options.maxSide);
  const variants: PreviewVariant[] = [];
  for (let index = 0; index < options.count; index += 1) {
    const variant = await renderVariant(decoded, bounded, index);
    variants.push({
      index,
      width: variant.width,
      height: variant.height,
      contentType: variant.contentType,
      data: variant.data,
      operations: variant.operations,
    });
  }
  return { source: { width: decoded.width, height: decoded.height, format: decoded.format }, variants };
}
