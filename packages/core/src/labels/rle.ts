import type { Box, Rle } from './model.js';

/** A row-major 0/1 bitmap. */
export interface Bitmap {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Decodes COCO RLE (column-major runs) to a row-major bitmap. */
export const decodeRle = (rle: Rle): Bitmap => {
  const { width, height } = rle;
  const data = new Uint8Array(width * height);
  let position = 0;
  let value = 0;
  for (const run of rle.counts) {
    if (value === 1) {
      for (let k = position; k < position + run && k < width * height; k++) {
        const x = Math.floor(k / height);
        const y = k - x * height;
        data[y * width + x] = 1;
      }
    }
    position += run;
    value ^= 1;
  }
  return { width, height, data };
};

/**
 * Encodes a row-major bitmap as COCO RLE. With `within` (a box that holds every set pixel), only
 * that part is read: the rest is known to be zeros.
 */
export const encodeRle = (bitmap: Bitmap, within?: Box): Rle => {
  const { width, height, data } = bitmap;
  const x0 = within ? Math.max(0, Math.floor(within.x)) : 0;
  const x1 = within ? Math.min(width, Math.ceil(within.x + within.width)) : width;
  const y0 = within ? Math.max(0, Math.floor(within.y)) : 0;
  const y1 = within ? Math.min(height, Math.ceil(within.y + within.height)) : height;
  const columns = Math.max(0, x1 - x0);
  const rows = Math.max(0, y1 - y0);
  // The region column-major: read row by row (in memory order), written column by column.
  const t = new Uint8Array(rows * columns);
  for (let y = 0; y < rows; y++) {
    const row = (y + y0) * width + x0;
    for (let x = 0; x < columns; x++) t[x * rows + y] = data[row + x] ? 1 : 0;
  }
  return encodeRleColumns({ x: x0, y: y0, width: columns, height: rows }, t, width, height);
};

/**
 * Encodes as COCO RLE a width × height bitmap that is zero outside `region`, given the region's
 * pixels column-major (0 or 1): only the region is read, each column in memory order.
 */
export const encodeRleColumns = (region: Box, columns: Uint8Array, width: number, height: number): Rle => {
  const { x: left, y: top, width: w, height: rows } = region;
  const counts: number[] = [];
  let value = 0;
  let run = 0;
  const add = (bit: number, length: number): void => {
    if (length === 0) return;
    if (bit === value) run += length;
    else {
      counts.push(run);
      value = bit;
      run = length;
    }
  };
  for (let x = 0; x < width; x++) {
    if (x < left || x >= left + w || rows === 0) {
      add(0, height);
      continue;
    }
    add(0, top);
    // Runs are long in masks: each change is found by indexOf (a native scan).
    const column = columns.subarray((x - left) * rows, (x - left + 1) * rows);
    let y = 0;
    while (y < rows) {
      const bit = column[y] as number;
      let next = column.indexOf(bit ^ 1, y);
      if (next < 0) next = rows;
      add(bit, next - y);
      y = next;
    }
    add(0, height - top - rows);
  }
  counts.push(run);
  return { width, height, counts };
};

/** Decodes COCO RLE to a column-major 0/1 array (height values per column): runs are filled whole. */
export const decodeRleColumns = (rle: Rle): Uint8Array => {
  const total = rle.width * rle.height;
  const data = new Uint8Array(total);
  let position = 0;
  let value = 0;
  for (const run of rle.counts) {
    if (value === 1) data.fill(1, Math.min(position, total), Math.min(position + run, total));
    position += run;
    value ^= 1;
  }
  return data;
};

/** Parses pycocotools' compressed RLE string (LEB128-like, 6 bits a character, runs delta-coded after the third). */
export const rleFromString = (text: string, height: number, width: number): Rle => {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) throw new RangeError('truncated RLE string');
      const c = text.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2] as number;
    counts.push(x);
  }
  return { height, width, counts };
};

/** pycocotools' compressed RLE string of an uncompressed RLE. */
export const rleToString = (rle: Rle): string => {
  let out = '';
  rle.counts.forEach((count, i) => {
    let x = i > 2 ? count - (rle.counts[i - 2] as number) : count;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  });
  return out;
};

/** Number of set pixels. */
export const rleArea = (rle: Rle): number => rle.counts.reduce((sum, run, i) => (i % 2 === 1 ? sum + run : sum), 0);

/** The box around the set pixels of a bitmap (looking only `within` a box, when given), or undefined when none is set. */
export const bitmapBox = (bitmap: Bitmap, within?: Box): Box | undefined => {
  const { width, height, data } = bitmap;
  const fromX = within ? Math.max(0, Math.floor(within.x)) : 0;
  const toX = within ? Math.min(width, Math.ceil(within.x + within.width)) : width;
  const fromY = within ? Math.max(0, Math.floor(within.y)) : 0;
  const toY = within ? Math.min(height, Math.ceil(within.y + within.height)) : height;
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = fromY; y < toY; y++) {
    const row = y * width;
    for (let x = fromX; x < toX; x++) {
      if (data[row + x] === 0) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      y1 = y;
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
};
