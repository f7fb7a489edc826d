import { forgetSimdSource } from './geometry/warp-simd.js';

/**
 * A small free list of pixel buffers, so that rendering many same-sized variants does not allocate
 * (and page-fault in) a fresh multi-megabyte buffer for every warp. Bounded in count and bytes.
 */
const MAX_BUFFERS = 6;
const MAX_BYTES = 96 * 1024 * 1024;

const free: Buffer[] = [];
let freeBytes = 0;

/** A buffer of exactly `length` bytes, recycled when one is free (contents undefined). */
export function takeBuffer(length: number): Buffer {
  const i = free.findIndex((b) => b.length === length);
  if (i >= 0) {
    const [buffer] = free.splice(i, 1) as [Buffer];
    freeBytes -= buffer.length;
    return buffer;
  }
  return Buffer.allocUnsafeSlow(length);
}

/** Returns a buffer nobody reads or writes any more. */
export function giveBuffer(buffer: Buffer): void {
  // Its contents will change: the warp kernel must not take its copy of them as current.
  forgetSimdSource(buffer);
  if (buffer.length < 64 * 1024 || free.includes(buffer)) return;
  free.push(buffer);
  freeBytes += buffer.length;
  while (free.length > MAX_BUFFERS || freeBytes > MAX_BYTES) {
    const oldest = free.shift() as Buffer;
    freeBytes -= oldest.length;
  }
}
