import sharp from 'sharp';
import { pixelsOf } from './decode.js';
import { rawInput } from './encode.js';
import type { DecodedSource } from './types.js';

/** A small WebP preview of a source: longest side `size` pixels (never enlarged), default 256. */
export async function thumbnail(source: DecodedSource, size = 256): Promise<Buffer> {
  if (!Number.isInteger(size) || size < 1 || size > 4096) throw new RangeError('thumbnail size must be 1–4096');
  const pixels = pixelsOf(source);
  return sharp(pixels.data, rawInput(pixels))
    .resize(size, size, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80, effort: 2 })
    .toBuffer();
}
