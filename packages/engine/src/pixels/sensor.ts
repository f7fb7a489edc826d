import { Rng } from '../rng.js';
import type { RawImage } from '../types.js';
import { clamped, outputBuffer, withData } from './buffer.js';

/** Standard deviation of the sum of four uniform bytes (Irwin–Hall), which approximates a gaussian. */
const SUM4_SD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * Camera sensor (ISO) noise: luminance noise, the same on the three channels of a pixel, with
 * standard deviation `luminance`, plus colour noise, independent per channel, with standard
 * deviation `colour` (0–255 scale), from a generator seeded with `seed`.
 */
export function isoNoise(image: RawImage, luminance: number, colour: number, seed: number, owned: boolean): RawImage {
  const rng = Rng.fromSeed(seed);
  const data = outputBuffer(image, owned);
  const out = clamped(data);
  const kl = luminance / SUM4_SD;
  const kc = colour / SUM4_SD;
  const gauss = (): number => {
    const r = rng.nextUint32();
    return (r & 255) + ((r >>> 8) & 255) + ((r >>> 16) & 255) + (r >>> 24) - 510;
  };
  const step = image.channels;
  for (let i = 0; i < data.length; i += step) {
    const l = gauss() * kl;
    out[i] = (data[i] as number) + l + gauss() * kc;
    out[i + 1] = (data[i + 1] as number) + l + gauss() * kc;
    out[i + 2] = (data[i + 2] as number) + l + gauss() * kc;
  }
  return withData(image, data);
}
