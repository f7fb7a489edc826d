import type { RawImage } from '../types.js';
import { outputBuffer, withData } from './buffer.js';
import { lut } from './point.js';

/** v' = 255 · (v / 255)^gamma: above 1 darkens the mid-tones, below 1 lightens them. */
export const gammaLut = (gamma: number): Uint8Array => lut((v) => 255 * (v / 255) ** gamma);

/** Keeps the top `bits` bits of each channel: 2^bits levels. */
export const posterizeLut = (bits: number): Uint8Array => {
  const mask = (0xff << (8 - bits)) & 0xff;
  return lut((v) => v & mask);
};

/** Inverts every channel value at or above `threshold`. */
export const solarizeLut = (threshold: number): Uint8Array => lut((v) => (v >= threshold ? 255 - v : v));

/** Adds a constant to each colour channel (clamped): the tables for red, green and blue. */
export const shiftLuts = (shift: readonly [number, number, number]): [Uint8Array, Uint8Array, Uint8Array] => [
  lut((v) => v + shift[0]),
  lut((v) => v + shift[1]),
  lut((v) => v + shift[2]),
];

/** One table per colour channel (alpha untouched). */
export function applyChannelLuts(
  image: RawImage,
  tables: readonly [Uint8Array, Uint8Array, Uint8Array],
  owned: boolean,
): RawImage {
  const data = outputBuffer(image, owned);
  const [t0, t1, t2] = tables;
  const step = image.channels;
  for (let i = 0; i < data.length; i += step) {
    data[i] = t0[data[i] as number] as number;
    data[i + 1] = t1[data[i + 1] as number] as number;
    data[i + 2] = t2[data[i + 2] as number] as number;
  }
  return withData(image, data);
}

/** Output channel c takes input channel order[c] (a permutation of 0, 1, 2). */
export function shuffleChannels(image: RawImage, order: readonly [number, number, number], owned: boolean): RawImage {
  const data = outputBuffer(image, owned);
  const [a, b, c] = order;
  const step = image.channels;
  for (let i = 0; i < data.length; i += step) {
    const r = data[i + a] as number;
    const g = data[i + b] as number;
    const bl = data[i + c] as number;
    data[i] = r;
    data[i + 1] = g;
    data[i + 2] = bl;
  }
  return withData(image, data);
}

/** The 3×3 product a · b (apply b first). */
export function multiply3(a: readonly number[], b: readonly number[]): number[] {
  const r: number[] = [];
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r.push(
        (a[i * 3] as number) * (b[j] as number) +
          (a[i * 3 + 1] as number) * (b[3 + j] as number) +
          (a[i * 3 + 2] as number) * (b[6 + j] as number),
      );
    }
  }
  return r;
}
