import { AsyncLocalStorage } from 'node:async_hooks';
import sharp, { type Sharp } from 'sharp';
import type { OutputFormat, RawImage } from './types.js';

/** File extension, content type and default quality of each output format. */
export const FORMATS: Readonly<
  Record<OutputFormat, { readonly extension: string; readonly contentType: string; readonly quality: number }>
> = {
  jpeg: { extension: 'jpg', contentType: 'image/jpeg', quality: 90 },
  png: { extension: 'png', contentType: 'image/png', quality: 100 },
  webp: { extension: 'webp', contentType: 'image/webp', quality: 85 },
  avif: { extension: 'avif', contentType: 'image/avif', quality: 60 },
};

/** The output format for an input format when the spec names none: the same, or png if it cannot be written. */
export function defaultFormat(inputFormat: string): OutputFormat {
  if (inputFormat === 'jpeg' || inputFormat === 'png' || inputFormat === 'webp') return inputFormat;
  if (inputFormat === 'heif') return 'avif';
  return 'png';
}

const renderDeadline = new AsyncLocalStorage<number>();

/**
 * Runs a render whose sharp pipelines libvips stops at `stopAt` (epoch ms): each pipeline made with `sharpRaw`
 * or `limitTime` inside it gets a libvips timeout for the time left, so a render past its budget stops its
 * work instead of finishing it in the background. (libheif's AVIF encoder does not listen: AVIF outputs are
 * bounded before the work instead, by MAX_AVIF_OUTPUT_PIXELS.)
 */
export const withDeadline = <T>(stopAt: number | undefined, render: () => Promise<T>): Promise<T> =>
  stopAt === undefined ? render() : renderDeadline.run(stopAt, render);

/** The render ran past its deadline (libvips stopped it, or it was found late between stages). */
export class RenderStoppedError extends Error {
  constructor(message = 'the render was stopped at its deadline', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RenderStoppedError';
  }
}

/** True for an error of a render stopped at its deadline: libvips' own (`timeout: 42% complete`) or ours. */
export const isStoppedAtDeadline = (error: unknown): boolean =>
  error instanceof RenderStoppedError || (error instanceof Error && /^timeout: \d+% complete/.test(error.message));

/** Gives a sharp pipeline the libvips timeout left to the current render (none outside `withDeadline`). */
export const limitTime = (pipeline: Sharp): Sharp => {
  const stopAt = renderDeadline.getStore();
  if (stopAt === undefined) return pipeline;
  const left = stopAt - Date.now();
  if (left <= 0) throw new RenderStoppedError();
  return pipeline.timeout({ seconds: Math.min(3600, Math.max(1, Math.ceil(left / 1000))) });
};

/** sharp input options for a raw image. */
export const rawInput = (image: RawImage) => ({
  raw: { width: image.width, height: image.height, channels: image.channels },
});

/** A sharp pipeline over raw pixels, limited to the current render's time. */
export const sharpRaw = (image: RawImage): Sharp => limitTime(sharp(image.data, rawInput(image)));

/** Sets the output format on a pipeline (JPEG flattens alpha onto white). */
export function withFormat(
  pipeline: Sharp,
  format: OutputFormat,
  quality: number | undefined,
  hasAlpha: boolean,
): Sharp {
  const q = quality ?? FORMATS[format].quality;
  switch (format) {
    case 'jpeg':
      return (hasAlpha ? pipeline.flatten({ background: '#ffffff' }) : pipeline).jpeg({
        quality: q,
        optimiseCoding: false,
      });
    case 'png':
      return pipeline.png({ compressionLevel: 6 });
    case 'webp':
      return pipeline.webp({ quality: q, effort: 3 });
    case 'avif':
      return pipeline.avif({ quality: q, effort: 2 });
  }
}
