import { Rng } from '../rng.js';
import type { RawImage } from '../types.js';
import { clamped, outputBuffer, withData } from './buffer.js';

/** Standard deviation of the sum of four uniform bytes, which approximates a gaussian. */
const SUM4_SD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * Adds approximately gaussian noise (sum of four uniform bytes, Irwin–Hall) with standard deviation
 * `sigma` to the colour channels, drawn from a generator seeded with `seed`.
 */
export function addNoise(image: RawImage, sigma: number, mono: boolean, seed: number, owned: boolean): RawImage {
  const rng = Rng.fromSeed(seed);
  const src = image.data;
  const data = outputBuffer(image, owned);
  const out = clamped(data);
  const k = sigma / SUM4_SD;
  const step = image.channels;
  const sample = (): number => {
    const r = rng.nextUint32();
    return ((r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24) - 510) * k;
  };
  for (let i = 0; i < src.length; i += step) {
    if (mono) {
      const n = sample();
      out[i] = (src[i] as number) + n;
      out[i + 1] = (src[i + 1] as number) + n;
      out[i + 2] = (src[i + 2] as number) + n;
    } else {
      out[i] = (src[i] as number) + sample();
      out[i + 1] = (src[i + 1] as number) + sample();
      out[i + 2] = (src[i + 2] as number) + sample();
    }
  }
  return withData(image, data);
}
