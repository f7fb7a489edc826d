import { createHash } from 'node:crypto';
import type { EngineLimits } from '@delta-augment/engine';
import sharp from 'sharp';

/** Generous limits for tests. */
export const LIMITS: EngineLimits = { maxPixels: 40_000_000, maxInputBytes: 50 * 1024 * 1024 };

/**
 * A 64×48 RGB test pattern: horizontal and vertical gradients in a limited range (40–200, so that
 * equalisation and contrast visibly change it) and a bright square off-centre (so flips and
 * rotations are visible).
 */
export function patternPixels(width = 64, height = 48, channels: 3 | 4 = 3): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      const square = x >= 8 && x < 24 && y >= 6 && y < 18;
      data[o] = square ? 230 : 40 + Math.round((160 * x) / (width - 1));
      data[o + 1] = square ? 220 : 40 + Math.round((160 * y) / (height - 1));
      data[o + 2] = square ? 30 : 120;
      if (channels === 4) data[o + 3] = x < width / 2 ? 255 : 128;
    }
  }
  return data;
}

/** The test pattern encoded as PNG (lossless, so renders can be compared pixel for pixel). */
export function patternPng(width = 64, height = 48, channels: 3 | 4 = 3): Promise<Buffer> {
  return sharp(patternPixels(width, height, channels), { raw: { width, height, channels } })
    .png()
    .toBuffer();
}

export const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Decodes an encoded image to raw pixels. */
export async function rawOf(data: Buffer): Promise<{ data: Buffer; width: number; height: number; channels: number }> {
  const { data: pixels, info } = await sharp(data).raw().toBuffer({ resolveWithObject: true });
  return { data: pixels, width: info.width, height: info.height, channels: info.channels };
}

/** The shared sample photos (see tests/helpers/images.ts). */
export { sharedImagePath as sharedImage } from '../helpers/images.js';
