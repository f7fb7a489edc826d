import { createHash } from 'node:crypto';
import { PermanentError } from '@delta-augment/core';
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { DecodedSource, EngineLimits, RawImage } from './types.js';

/** Input formats accepted (sharp metadata names; 'heif' covers AVIF). */
export const INPUT_FORMATS: readonly string[] = ['jpeg', 'png', 'webp', 'tiff', 'heif', 'gif'];

/** Longest a single decode may run before it is abandoned. */
const DECODE_TIMEOUT_SECONDS = 30;

/** The decoded pixels of each source, private to the engine. */
const pixelStore = new WeakMap<DecodedSource, RawImage>();

/** The pixels of a source made by {@link decodeSource}. */
export function pixelsOf(source: DecodedSource): RawImage {
  const pixels = pixelStore.get(source);
  if (pixels === undefined) throw new TypeError('not a source returned by decodeSource');
  return pixels;
}

const reasonOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]?.trim() || 'unknown error';

/**
 * Decodes an image once into 8-bit sRGB(A) pixels shared by all its variants: EXIF orientation
 * applied, first frame of an animation, CMYK and greyscale converted to sRGB, 16-bit reduced to
 * 8-bit, alpha kept. Throws {@link PermanentError} with a clear reason for an empty, corrupt,
 * unsupported or over-limit input. With `maxSide`, the pixels are shrunk to fit that many pixels (previews).
 */
export async function decodeSource(
  input: Buffer,
  limits: EngineLimits,
  options: { readonly maxSide?: number } = {},
): Promise<DecodedSource> {
  if (input.length === 0) throw new PermanentError('the file is empty');
  if (input.length > limits.maxInputBytes) {
    throw new PermanentError(`image is ${input.length} bytes; the limit (MAX_INPUT_BYTES) is ${limits.maxInputBytes}`);
  }
  let metadata: Metadata;
  try {
    metadata = await sharp(input, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch (error) {
    throw new PermanentError(`not a readable image: ${reasonOf(error)}`, { cause: error });
  }
  const format = String(metadata.format);
  if (!INPUT_FORMATS.includes(format)) {
    throw new PermanentError(`unsupported image format '${format}'; supported: JPEG, PNG, WebP, TIFF, AVIF, GIF`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.pageHeight ?? metadata.height ?? 0;
  if (width < 1 || height < 1) throw new PermanentError('the image has no pixels');
  const pixels = width * height;
  if (pixels > limits.maxPixels) {
    throw new PermanentError(`image is ${pixels} pixels; the limit (MAX_PIXELS) is ${limits.maxPixels}`);
  }
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    const image = sharp(input, {
      // Strict: a warning from the decoder (corrupt entropy data, truncation) fails the source.
      failOn: 'warning',
      limitInputPixels: Math.max(1, Math.floor(limits.maxPixels)),
      autoOrient: true,
      sequentialRead: true,
    });
    // A preview decodes a smaller copy; the digest (which seeds the variants) stays the original's.
    if (options.maxSide) image.resize(options.maxSide, options.maxSide, { fit: 'inside', withoutEnlargement: true });
    decoded = await image
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .timeout({ seconds: DECODE_TIMEOUT_SECONDS })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new PermanentError(`the ${format} image could not be decoded: ${reasonOf(error)}`, { cause: error });
  }
  const { info } = decoded;
  let data: Uint8Array = decoded.data;
  let channels = info.channels;
  if (channels !== 3 && channels !== 4) {
    // Not expected after toColourspace('srgb'), but make sure the renderer sees RGB(A).
    data = await sharp(decoded.data, { raw: { width: info.width, height: info.height, channels } })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer();
    channels = data.length / (info.width * info.height);
    if (channels !== 3 && channels !== 4) throw new PermanentError(`unsupported channel layout (${info.channels})`);
  }
  const source: DecodedSource = Object.freeze({
    width: info.width,
    height: info.height,
    format,
    hasAlpha: channels === 4,
    digest: createHash('sha256').update(input).digest('hex'),
  });
  pixelStore.set(source, { data, width: info.width, height: info.height, channels: channels as 3 | 4 });
  return source;
}
