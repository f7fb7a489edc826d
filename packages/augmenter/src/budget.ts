import { outputPixelBound, PermanentError, type PipelineSpec } from '@delta-augment/core';
import type { Budgets } from '@delta-augment/ports';
import sharp from 'sharp';

/** The size an image header declares (one page of an animation), without decoding; undefined when unreadable. */
export const headerSize = async (input: Buffer): Promise<{ width: number; height: number } | undefined> => {
  try {
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    const width = meta.width ?? 0;
    const height = meta.pageHeight ?? meta.height ?? 0;
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The pixels one source holds while it is decoded and rendered: its decoded input, and for each of the
 * `renderConcurrency` variants rendered at once two buffers of the variant's largest possible size (a render
 * step's input and output, or the last step's pixels and their encoding). A small source whose pipeline scales it
 * up to 36 MP weighs what it will hold, not what it decodes.
 */
export const sourceWorkingPixels = (
  size: { readonly width: number; readonly height: number },
  spec: PipelineSpec | undefined,
  renderConcurrency: number,
): number => {
  const input = size.width * size.height;
  return spec ? input + 2 * renderConcurrency * outputPixelBound(spec, size.width, size.height) : input;
};

/**
 * A semaphore counted in pixels: sources in one worker process wait until the pixels they will hold (decoded
 * input and render buffers, {@link sourceWorkingPixels}) fit in WORKER_DECODE_PIXELS, so memory follows image
 * and output sizes, not record counts (100 blank 40 MP PNGs in one batch decode two at a time, not all at once).
 * A request for more than the whole budget waits for an empty gate and then runs alone.
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

/**
 * Rejects with `error()` when `work` takes over `seconds`; the work is told to stop through `signal` and
 * knows its deadline (`stopAt`, epoch ms), at which libvips stops the stage it runs.
 */
export const withinSeconds = async <T>(
  seconds: number,
  work: (signal: AbortSignal, stopAt: number) => Promise<T>,
  error: () => Error,
): Promise<T> => {
  const controller = new AbortController();
  const stopAt = Date.now() + seconds * 1000;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(error());
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work(controller.signal, stopAt), expired]);
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
