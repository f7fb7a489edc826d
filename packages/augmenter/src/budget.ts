import { type Budgets, PermanentError } from '@delta-augment/shared';
import sharp from 'sharp';
import type { PipelineSpec, Step } from './engine/spec/types.js';

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

/** Fails a source before rendering when one of its variants could pass MAX_OUTPUT_PIXELS. */
export const checkVariantPixels = (
  spec: PipelineSpec,
  source: Size,
  budgets: Pick<Budgets, 'maxOutputPixels'>,
): void => {
  const bound = outputPixelBound(spec, source.width, source.height);
  if (bound > budgets.maxOutputPixels) {
    throw new PermanentError(
      `a variant of this ${source.width}×${source.height} source can have ${bound} pixels; the limit (MAX_OUTPUT_PIXELS) is ${budgets.maxOutputPixels}`,
    );
  }
};

/** The pixel count an image header declares, without decoding; undefined when the header cannot be read. */
export const headerPixels = async (input: Buffer): Promise<number | undefined> => {
  try {
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    const width = meta.width ?? 0;
    const height = meta.pageHeight ?? meta.height ?? 0;
    return width > 0 && height > 0 ? width * height : undefined;
  } catch {
    return undefined;
  }
};

/**
 * A semaphore counted in pixels: decodes in one worker process wait until the pixels they will hold fit in
 * WORKER_DECODE_PIXELS, so memory follows image sizes, not record counts (100 blank 40 MP PNGs in one batch
 * decode two at a time, not all at once). A request for more than the whole budget waits for an empty gate.
 */
export class PixelGate {
  #inUse = 0;
  readonly #waiting: { pixels: number; resolve: () => void }[] = [];

  constructor(readonly capacity: number) {}

  async acquire(pixels: number): Promise<() => void> {
    const need = Math.min(Math.max(1, pixels), this.capacity);
    if (this.#waiting.length > 0 || this.#inUse + need > this.capacity) {
      await new Promise<void>((resolve) => this.#waiting.push({ pixels: need, resolve }));
    } else {
      this.#inUse += need;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inUse -= need;
      this.#drain();
    };
  }

  get inUse(): number {
    return this.#inUse;
  }

  #drain(): void {
    // First come, first served: a large decode is not starved by a stream of small ones.
    while (this.#waiting.length > 0) {
      const next = this.#waiting[0] as { pixels: number; resolve: () => void };
      if (this.#inUse + next.pixels > this.capacity) return;
      this.#waiting.shift();
      this.#inUse += next.pixels;
      next.resolve();
    }
  }
}

/** Rejects with `error()` when `work` takes over `seconds`; the work is told to stop through `signal`. */
export const withinSeconds = async <T>(
  seconds: number,
  work: (signal: AbortSignal) => Promise<T>,
  error: () => Error,
): Promise<T> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(error());
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
};

/** Bytes a job has written so far: its recorded variants (the archive comes later, about as large). */
export const jobOutputBytes = (state: {
  readonly sources: readonly { readonly variants: Readonly<Record<number, { readonly bytes: number }>> }[];
}): number => {
  let total = 0;
  for (const source of state.sources) for (const variant of Object.values(source.variants)) total += variant.bytes;
  return total;
};

/**
 * Fails the source before rendering another variant once the job's outputs reached half of
 * MAX_JOB_OUTPUT_BYTES: the other half is for the archive, which holds the variants again.
 */
export const checkJobBytes = (written: number, budgets: Pick<Budgets, 'maxJobOutputBytes'> | undefined): void => {
  if (!budgets) return;
  const forVariants = Math.floor(budgets.maxJobOutputBytes / 2);
  if (written >= forVariants) {
    throw new PermanentError(
      `the job's variants reached ${written} bytes; with its archive the job may write ${budgets.maxJobOutputBytes} (MAX_JOB_OUTPUT_BYTES)`,
    );
  }
};

export const variantTooSlow = (budgets: Pick<Budgets, 'maxVariantSeconds'> | undefined, index: number): Error =>
  new PermanentError(
    `variant ${index} took over ${budgets?.maxVariantSeconds}s to render (MAX_VARIANT_SECONDS); use a smaller output or a faster format`,
  );
