import type { AppliedOperation } from '@delta-augment/shared';
import { decodeSource } from './decode.js';
import { renderVariant } from './render.js';
import type { EngineLimits, ResolvedPipeline } from './types.js';

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
 * so the same operations and parameters), on a copy shrunk to fit `maxSide` pixels. Nothing is stored.
 */
export async function renderPreview(
  input: Buffer,
  pipeline: ResolvedPipeline,
  options: { readonly count: number; readonly maxSide: number; readonly limits: EngineLimits },
): Promise<Preview> {
  const decoded = await decodeSource(input, options.limits, { maxSide: options.maxSide });
  const variants: PreviewVariant[] = [];
  for (let index = 0; index < options.count; index += 1) {
    const variant = await renderVariant(decoded, pipeline, index);
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
