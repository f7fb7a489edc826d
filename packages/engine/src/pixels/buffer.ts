import { takeBuffer } from '../pool.js';
import type { RawImage } from '../types.js';

/** The buffer an operation writes into: the input's own when the variant owns it, else a fresh one. */
export function outputBuffer(image: RawImage, owned: boolean): Uint8Array {
  if (owned) return image.data;
  const copy = takeBuffer(image.data.length);
  copy.set(image.data);
  return copy;
}

/** A clamping (and rounding) view over the same bytes. */
export const clamped = (data: Uint8Array): Uint8ClampedArray =>
  new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength);

export const withData = (image: RawImage, data: Uint8Array): RawImage => ({
  data,
  width: image.width,
  height: image.height,
  channels: image.channels,
});
