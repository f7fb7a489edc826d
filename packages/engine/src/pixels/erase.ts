import type { Fill } from '../effects.js';
import { Rng } from '../rng.js';
import type { RawImage } from '../types.js';
import { outputBuffer, withData } from './buffer.js';

/** One erased rectangle: a solid colour, or random pixels from `seed`. */
export interface EraseRect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly fill: Fill | { readonly noiseSeed: number };
}

/** Paints the rectangles (random erasing / cutout). Painted pixels become opaque. */
export function erase(image: RawImage, rects: readonly EraseRect[], owned: boolean): RawImage {
  const data = outputBuffer(image, owned);
  const step = image.channels;
  for (const rect of rects) {
    const noise = 'noiseSeed' in rect.fill ? Rng.fromSeed(rect.fill.noiseSeed) : undefined;
    const colour = 'noiseSeed' in rect.fill ? undefined : rect.fill;
    for (let y = rect.top; y < rect.top + rect.height; y++) {
      let i = (y * image.width + rect.left) * step;
      for (let x = 0; x < rect.width; x++, i += step) {
        if (noise) {
          const r = noise.nextUint32();
          data[i] = r & 255;
          data[i + 1] = (r >>> 8) & 255;
          data[i + 2] = (r >>> 16) & 255;
          if (step === 4) data[i + 3] = 255;
        } else if (colour) {
          data[i] = colour[0];
          data[i + 1] = colour[1];
          data[i + 2] = colour[2];
          if (step === 4) data[i + 3] = colour[3];
        }
      }
    }
  }
  return withData(image, data);
}
