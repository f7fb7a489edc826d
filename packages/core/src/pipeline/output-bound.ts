import { PermanentError } from '../errors.js';
import type { PipelineSpec, Step } from './types.js';

interface Size {
  readonly width: number;
  readonly height: number;
}

const MAX_CANDIDATES = 32;

const pair = (value: unknown): readonly [number, number] | undefined => {
  if (typeof value === 'number') return [value, value];
  if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'number') return [value[0], value[1]];
  return undefined;
};

/** The sizes one operation can make from `size`, at the edges of its parameters' ranges. */
const sizesAfterOp = (op: string, params: Readonly<Record<string, unknown>>, size: Size): Size[] => {
  const { width: w, height: h } = size;
  switch (op) {
    case 'resize': {
      const W = typeof params.width === 'number' ? params.width : undefined;
      const H = typeof params.height === 'number' ? params.height : undefined;
      if (W !== undefined && H !== undefined) return [{ width: W, height: H }];
      if (W !== undefined) return [{ width: W, height: Math.max(1, Math.ceil((h * W) / w)) }];
      if (H !== undefined) return [{ width: Math.max(1, Math.ceil((w * H) / h)), height: H }];
      return [size];
    }
    case 'scale': {
      const f = pair(params.factor)?.[1] ?? 1;
      return [{ width: Math.ceil(w * f), height: Math.ceil(h * f) }];
    }
    case 'crop': {
      const W = typeof params.width === 'number' ? params.width : undefined;
      const H = typeof params.height === 'number' ? params.height : undefined;
      if (params.resize !== true && W !== undefined && H !== undefined)
        return [{ width: Math.min(W, w), height: Math.min(H, h) }];
      return [size];
    }
    case 'rotate90':
    case 'rotate270':
      return [{ width: h, height: w }];
    case 'rotateRandom90':
      return [size, { width: h, height: w }];
    default:
      return [size];
  }
};

/** Keeps the candidates that can still lead to the largest output: the largest areas and the most elongated. */
const prune = (sizes: Size[]): Size[] => {
  const unique = [...new Map(sizes.map((s) => [`${s.width}x${s.height}`, s])).values()];
  if (unique.length <= MAX_CANDIDATES) return unique;
  const byArea = [...unique].sort((a, b) => b.width * b.height - a.width * a.height).slice(0, MAX_CANDIDATES / 2);
  const tall = [...unique].sort((a, b) => b.height / b.width - a.height / a.width).slice(0, MAX_CANDIDATES / 4);
  const wide = [...unique].sort((a, b) => b.width / b.height - a.width / a.height).slice(0, MAX_CANDIDATES / 4);
  return [...new Map([...byArea, ...tall, ...wide].map((s) => [`${s.width}x${s.height}`, s])).values()];
};

const visit = (step: Step, sizes: Size[]): Size[] => {
  const skipped = step.probability < 1 ? sizes : [];
  switch (step.kind) {
    case 'op':
      return prune([...skipped, ...sizes.flatMap((s) => sizesAfterOp(step.op, step.params, s))]);
    case 'oneOf':
      return prune([...skipped, ...step.steps.flatMap((inner) => visit(inner, sizes))]);
    case 'someOf': {
      // Any subset, in order: each member is optional (a superset of what the group can do).
      let current = sizes;
      for (const inner of step.steps) current = prune([...current, ...visit(inner, current)]);
      return prune([...skipped, ...current]);
    }
  }
};

/**
 * The largest number of pixels one variant of `spec` can have for a `width` × `height` source: every step
 * is taken or not, every range at its edge (an upper bound, computed from the spec before any pixel is made).
 */
export const outputPixelBound = (spec: PipelineSpec, width: number, height: number): number => {
  let sizes: Size[] = [{ width, height }];
  for (const step of spec.steps) sizes = visit(step, sizes);
  return Math.max(...sizes.map((s) => s.width * s.height));
};

/** True when the variants of a source in `inputFormat` are written as AVIF (the engine's default for HEIF/AVIF input). */
export const writesAvif = (spec: Pick<PipelineSpec, 'format'>, inputFormat: string | undefined): boolean =>
  spec.format === 'avif' || (spec.format === undefined && (inputFormat === 'heif' || inputFormat === 'avif'));

export interface OutputPixelBudgets {
  readonly maxOutputPixels: number;
  /** AVIF variants: their encoder cannot be stopped, so they get a smaller limit, checked before the work. */
  readonly maxAvifOutputPixels?: number;
}

/** The pixel limit of one variant of a source in `inputFormat`, and the setting that sets it. */
export const variantPixelLimit = (
  spec: Pick<PipelineSpec, 'format'>,
  inputFormat: string | undefined,
  budgets: OutputPixelBudgets,
): { readonly limit: number; readonly name: string; readonly why: string } => {
  const avif = budgets.maxAvifOutputPixels;
  if (avif !== undefined && avif < budgets.maxOutputPixels && writesAvif(spec, inputFormat)) {
    return {
      limit: avif,
      name: 'MAX_AVIF_OUTPUT_PIXELS',
      why: ': an AVIF encode cannot be stopped once started, so its size is bounded to what encodes within MAX_VARIANT_SECONDS; use jpeg, png or webp for larger outputs',
    };
  }
  return { limit: budgets.maxOutputPixels, name: 'MAX_OUTPUT_PIXELS', why: '' };
};

/** Fails a source before rendering when one of its variants could pass MAX_OUTPUT_PIXELS (MAX_AVIF_OUTPUT_PIXELS for AVIF). */
export const checkVariantPixels = (
  spec: PipelineSpec,
  source: Size & { readonly format?: string },
  budgets: OutputPixelBudgets,
): void => {
  const bound = outputPixelBound(spec, source.width, source.height);
  const { limit, name, why } = variantPixelLimit(spec, source.format, budgets);
  if (bound > limit) {
    throw new PermanentError(
      `a variant of this ${source.width}×${source.height} source can have ${bound} pixels; the limit (${name}) is ${limit}${why}`,
    );
  }
};
