import sharp, { type Metadata } from 'sharp';
import { RequestError, unsupported } from './errors.js';
import { headerDimensions, IMAGE_TYPES, type SniffedType, sniffType } from './sniff.js';

export interface CheckedImage {
  readonly format: SniffedType;
  readonly width: number;
  readonly height: number;
}

/** Dimensions from libvips' header reader (TIFF, AVIF, and headers the quick reader cannot follow). */
const decoderDimensions = async (field: string, name: string, data: Buffer, format: SniffedType) => {
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new RequestError(
      'CORRUPT_IMAGE',
      `${name} could not be read as ${format}: ${(error as Error).message}`,
      422,
      field,
    );
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (!width || !height) throw new RequestError('CORRUPT_IMAGE', `${name} has no dimensions`, 422, field);
  return { width, height };
};

/**
 * Checks an uploaded image from its bytes: a known image type, a readable header, and at most
 * `maxPixels` pixels (a decompression bomb is refused from its header, before any decoding). JPEG, PNG, GIF and WebP
 * headers are read here in JS; other types by libvips' header reader.
 */
export const checkImage = async (
  field: string,
  name: string,
  data: Buffer,
  maxPixels: number,
): Promise<CheckedImage> => {
  if (data.length === 0) throw new RequestError('EMPTY_FILE', `${name} is empty`, 400, field);
  const format = sniffType(data);
  if (!format || !IMAGE_TYPES.has(format)) {
    throw unsupported(
      field,
      `${name} is not a supported image (JPEG, PNG, WebP, TIFF, AVIF, GIF) — its bytes say ${format ?? 'unknown'}`,
    );
  }
  const { width, height } = headerDimensions(data, format) ?? (await decoderDimensions(field, name, data, format));
  const pixels = width * height;
  if (pixels > maxPixels) {
    throw new RequestError(
      'TOO_MANY_PIXELS',
      `${name} is ${width}x${height} = ${pixels} pixels; the limit (MAX_PIXELS) is ${maxPixels}`,
      422,
      field,
    );
  }
  return { format, width, height };
};
