import { takeBuffer } from '../pool.js';
import type { RawImage } from '../types.js';
import { outputBuffer, withData } from './buffer.js';

/** Rec. 709 luma weights (as CSS filter effects use). */
const LUMA = [0.2126, 0.7152, 0.0722] as const;

/** A 256-entry table from a per-channel function (rounded and clamped). */
export function lut(fn: (value: number) => number): Uint8Array {
  const table = new Uint8ClampedArray(256);
  for (let v = 0; v < 256; v++) table[v] = fn(v);
  return new Uint8Array(table.buffer);
}

export const brightnessLut = (factor: number): Uint8Array => lut((v) => v * factor);
export const contrastLut = (factor: number): Uint8Array => lut((v) => (v - 128) * factor + 128);
export const invertLut = (): Uint8Array => lut((v) => 255 - v);

/** `second` after `first`. */
export function composeLuts(first: Uint8Array, second: Uint8Array): Uint8Array {
  const table = new Uint8Array(256);
  for (let v = 0; v < 256; v++) table[v] = second[first[v] as number] as number;
  return table;
}

/** Applies one table to every colour channel (alpha untouched). */
export function applyLut(image: RawImage, table: Uint8Array, owned: boolean): RawImage {
  const src = image.data;
  const out = owned ? src : takeBuffer(src.length);
  const n = src.length;
  if (image.channels === 3) {
    for (let i = 0; i < n; i++) out[i] = table[src[i] as number] as number;
  } else {
    for (let i = 0; i < n; i += 4) {
      out[i] = table[src[i] as number] as number;
      out[i + 1] = table[src[i + 1] as number] as number;
      out[i + 2] = table[src[i + 2] as number] as number;
      out[i + 3] = src[i + 3] as number;
    }
  }
  return withData(image, out);
}

/** Saturation matrix (CSS `saturate()`): 0 is grey, 1 unchanged. */
export function saturationMatrix(s: number): number[] {
  const [r, g, b] = LUMA;
  return [
    r + (1 - r) * s,
    g - g * s,
    b - b * s,
    r - r * s,
    g + (1 - g) * s,
    b - b * s,
    r - r * s,
    g - g * s,
    b + (1 - b) * s,
  ];
}

/** Hue rotation matrix (CSS `hue-rotate()`), degrees. */
export function hueMatrix(degrees: number): number[] {
  const a = (degrees * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  return [
    0.213 + c * 0.787 - s * 0.213,
    0.715 - c * 0.715 - s * 0.715,
    0.072 - c * 0.072 + s * 0.928,
    0.213 - c * 0.213 + s * 0.143,
    0.715 + c * 0.285 + s * 0.14,
    0.072 - c * 0.072 - s * 0.283,
    0.213 - c * 0.213 - s * 0.787,
    0.715 - c * 0.715 + s * 0.715,
    0.072 + c * 0.928 + s * 0.072,
  ];
}

const clamp255 = (v: number): number => Math.min(Math.max(v, 0), 255);

/** Mixes the colour channels with a 3×3 matrix (fixed point, clamped). */
export function applyColourMatrix(image: RawImage, matrix: readonly number[], owned: boolean): RawImage {
  const w = matrix.map((v) => Math.round(v * 4096));
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = w as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const src = image.data;
  const out = owned ? src : takeBuffer(src.length);
  const step = image.channels;
  for (let i = 0; i < src.length; i += step) {
    const r = src[i] as number;
    const g = src[i + 1] as number;
    const b = src[i + 2] as number;
    out[i] = clamp255((m0 * r + m1 * g + m2 * b + 2048) >> 12);
    out[i + 1] = clamp255((m3 * r + m4 * g + m5 * b + 2048) >> 12);
    out[i + 2] = clamp255((m6 * r + m7 * g + m8 * b + 2048) >> 12);
    if (step === 4) out[i + 3] = src[i + 3] as number;
  }
  return withData(image, out);
}

/** Black and white: luma ≥ level becomes white, the rest black (alpha untouched). */
export function threshold(image: RawImage, level: number, owned: boolean): RawImage {
  const src = image.data;
  const out = owned ? src : takeBuffer(src.length);
  const step = image.channels;
  // Integer luma, weights summing to 4096; compare against level scaled the same way.
  const wr = 871;
  const wg = 2929;
  const wb = 4096 - wr - wg;
  const limit = level * 4096;
  for (let i = 0; i < src.length; i += step) {
    const v = wr * (src[i] as number) + wg * (src[i + 1] as number) + wb * (src[i + 2] as number) >= limit ? 255 : 0;
    out[i] = v;
    out[i + 1] = v;
    out[i + 2] = v;
    if (step === 4) out[i + 3] = src[i + 3] as number;
  }
  return withData(image, out);
}

/** Histogram equalisation of each colour channel. */
export function equalise(image: RawImage, owned: boolean): RawImage {
  const src = image.data;
  const step = image.channels;
  const pixels = image.width * image.height;
  const tables: Uint8Array[] = [];
  for (let c = 0; c < 3; c++) {
    const hist = new Uint32Array(256);
    for (let i = c; i < src.length; i += step) {
      const v = src[i] as number;
      hist[v] = (hist[v] as number) + 1;
    }
    let cdf = 0;
    let first = -1;
    const cumulative = new Float64Array(256);
    for (let v = 0; v < 256; v++) {
      cdf += hist[v] as number;
      cumulative[v] = cdf;
      if (first < 0 && cdf > 0) first = cdf;
    }
    const span = pixels - first;
    tables.push(span <= 0 ? lut((v) => v) : lut((v) => (((cumulative[v] as number) - first) / span) * 255));
  }
  const data = outputBuffer(image, owned);
  const [t0, t1, t2] = tables as [Uint8Array, Uint8Array, Uint8Array];
  for (let i = 0; i < data.length; i += step) {
    data[i] = t0[src[i] as number] as number;
    data[i + 1] = t1[src[i + 1] as number] as number;
    data[i + 2] = t2[src[i + 2] as number] as number;
  }
  return withData(image, data);
}
