/** File type from the first bytes, never from the client's name or content type. */
export type SniffedType = 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'avif' | 'heif' | 'zip';

const startsWith = (buffer: Buffer, bytes: readonly number[], offset = 0): boolean =>
  buffer.length >= offset + bytes.length && bytes.every((b, i) => buffer[offset + i] === b);

export const sniffType = (buffer: Buffer): SniffedType | undefined => {
  if (startsWith(buffer, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(buffer, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(buffer, [0x47, 0x49, 0x46, 0x38])) return 'gif';
  if (startsWith(buffer, [0x52, 0x49, 0x46, 0x46]) && startsWith(buffer, [0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  if (startsWith(buffer, [0x49, 0x49, 0x2a, 0x00]) || startsWith(buffer, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (startsWith(buffer, [0x50, 0x4b, 0x03, 0x04])) return 'zip';
  if (startsWith(buffer, [0x66, 0x74, 0x79, 0x70], 4)) {
    const brand = buffer.subarray(8, 12).toString('latin1');
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'mif1', 'msf1'].includes(brand)) return 'heif';
  }
  return undefined;
};

export const IMAGE_TYPES: ReadonlySet<SniffedType> = new Set(['jpeg', 'png', 'gif', 'webp', 'tiff', 'avif']);

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  tiff: 'image/tiff',
  avif: 'image/avif',
  zip: 'application/zip',
};

/** Display dimensions read from an image header (EXIF orientation applied), without decoding anything. */
export interface HeaderDimensions {
  readonly width: number;
  readonly height: number;
}

/** EXIF orientation (1-8) from a JPEG APP1 segment's TIFF header at `tiff`, or 1. */
const exifOrientation = (b: Buffer, tiff: number, end: number): number => {
  if (tiff + 8 > end) return 1;
  const little = b[tiff] === 0x49 && b[tiff + 1] === 0x49;
  if (!little && !(b[tiff] === 0x4d && b[tiff + 1] === 0x4d)) return 1;
  const u16 = (at: number) => (little ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const u32 = (at: number) => (little ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (u16(tiff + 2) !== 42) return 1;
  const ifd = tiff + u32(tiff + 4);
  if (ifd + 2 > end) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
};

const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

const jpegDimensions = (b: Buffer): HeaderDimensions | undefined => {
  let i = 2;
  let orientation = 1;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return undefined; // end of image or scan data before a frame header
    const length = b.readUInt16BE(i + 2);
    if (length < 2 || i + 2 + length > b.length) return undefined;
    if (marker === 0xe1 && b.toString('latin1', i + 4, i + 10) === 'Exif\0\0') {
      orientation = exifOrientation(b, i + 10, i + 2 + length);
    }
    if (SOF.has(marker)) {
      if (length < 7) return undefined;
      const height = b.readUInt16BE(i + 5);
      const width = b.readUInt16BE(i + 7);
      if (!width || !height) return undefined;
      return orientation >= 5 ? { width: height, height: width } : { width, height };
    }
    i += 2 + length;
  }
  return undefined;
};

const pngDimensions = (b: Buffer): HeaderDimensions | undefined =>
  b.length >= 24 && b.toString('latin1', 12, 16) === 'IHDR'
    ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) }
    : undefined;

const gifDimensions = (b: Buffer): HeaderDimensions | undefined =>
  b.length >= 10 ? { width: b.readUInt16LE(6), height: b.readUInt16LE(8) } : undefined;

const webpDimensions = (b: Buffer): HeaderDimensions | undefined => {
  if (b.length < 30) return undefined;
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8 ' && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  }
  if (chunk === 'VP8L' && b[20] === 0x2f) {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  // VP8X with an EXIF chunk may carry an orientation: left to the full decoder's header reader.
  if (chunk === 'VP8X' && !((b[20] as number) & 0x08)) {
    return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  }
  return undefined;
};

/**
 * Dimensions of a JPEG, PNG, GIF or WebP from its header alone: microseconds, no decoder, so that the
 * pixel limit is checked before any library touches the data. Undefined for other types and for headers
 * it cannot read; the caller then asks the full decoder's header reader, which names the problem.
 */
export const headerDimensions = (buffer: Buffer, type: SniffedType): HeaderDimensions | undefined => {
  try {
    const found =
      type === 'jpeg'
        ? jpegDimensions(buffer)
        : type === 'png'
          ? pngDimensions(buffer)
          : type === 'gif'
            ? gifDimensions(buffer)
            : type === 'webp'
              ? webpDimensions(buffer)
              : undefined;
    return found && found.width > 0 && found.height > 0 ? found : undefined;
  } catch {
    return undefined; // a read past the end: a truncated header
  }
};
