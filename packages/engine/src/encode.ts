import type { Sharp } from 'sharp';
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

/** sharp input options for a raw image. */
export const rawInput = (image: RawImage) => ({
  raw: { width: image.width, height: image.height, channels: image.channels },
});

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
