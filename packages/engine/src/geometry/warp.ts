// biome-ignore-all lint/style/noNonNullAssertion: typed-array and fixed-size tuple indexing in hot loops, in bounds by construction.
import type { DisplacementField, Fill } from '../effects.js';
import { takeBuffer } from '../pool.js';
import type { RawImage } from '../types.js';
import type { Mat3 } from './matrix.js';
import { affineSimd } from './warp-simd.js';

/**
 * One backward step of a composed warp. A `matrix` stage maps its output coordinates to its input
 * canvas (`inWidth` × `inHeight`); a `displace` stage adds the field's displacement (same canvas).
 * A sample that leaves a stage's input canvas takes that stage's fill colour.
 */
export type WarpStage =
  | {
      readonly kind: 'matrix';
      readonly inverse: Mat3;
      readonly inWidth: number;
      readonly inHeight: number;
      readonly fill: Fill;
    }
  | { readonly kind: 'displace'; readonly field: DisplacementField; readonly fill: Fill };

/** Tolerance, in pixels, for samples on the very edge of a canvas. */
const EDGE = 1e-6;
/** Fixed-point coordinates must stay inside int32: |coordinate| × 65536 < 2^31. */
const FIXED_LIMIT = 30000;

/** Bilinear sample at continuous (u, v), clamped to the edge pixels; writes `channels` bytes at out[o]. */
function sampleClamped(src: RawImage, u: number, v: number, out: Uint8Array, o: number): void {
  const { width, height, channels, data } = src;
  let fx = u - 0.5;
  let fy = v - 0.5;
  fx = Math.min(Math.max(fx, 0), width - 1);
  fy = Math.min(Math.max(fy, 0), height - 1);
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = x0 + 1 < width ? x0 + 1 : x0;
  const y1 = y0 + 1 < height ? y0 + 1 : y0;
  const tx = fx - x0;
  const ty = fy - y0;
  const p00 = (y0 * width + x0) * channels;
  const p01 = (y0 * width + x1) * channels;
  const p10 = (y1 * width + x0) * channels;
  const p11 = (y1 * width + x1) * channels;
  for (let c = 0; c < channels; c++) {
    const top = data[p00 + c]! + (data[p01 + c]! - data[p00 + c]!) * tx;
    const bottom = data[p10 + c]! + (data[p11 + c]! - data[p10 + c]!) * tx;
    out[o + c] = Math.round(top + (bottom - top) * ty);
  }
}

function writeFill(out: Uint8Array, o: number, fill: Fill, channels: number): void {
  out[o] = fill[0];
  out[o + 1] = fill[1];
  out[o + 2] = fill[2];
  if (channels === 4) out[o + 3] = fill[3];
}

/**
 * Fast bilinear warp by one affine map (`inverse`: output → source coordinates), in 16.16 fixed
 * point with 8-bit weights. Samples outside the source take `fill`. Returns undefined when the
 * coordinates would overflow fixed point (the caller then uses {@link warpStages}).
 */
export function warpAffine(
  src: RawImage,
  inverse: Mat3,
  outWidth: number,
  outHeight: number,
  fill: Fill,
): RawImage | undefined {
  const [a, b, c, d, e, f] = inverse;
  for (const [x, y] of [
    [0, 0],
    [outWidth, 0],
    [0, outHeight],
    [outWidth, outHeight],
  ] as const) {
    if (Math.abs(a * x + b * y + c) > FIXED_LIMIT || Math.abs(d * x + e * y + f) > FIXED_LIMIT) return undefined;
  }
  const out = takeBuffer(outWidth * outHeight * src.channels);
  const edge = (view: Uint8Array) => (sx: number, sy: number, o: number) => edgeSample(src, sx, sy, view, o, fill);
  if (!affineSimd(src, inverse, out, outWidth, outHeight, edge))
    affineRowsJs(src, inverse, out, outWidth, outHeight, fill);
  return { data: out, width: outWidth, height: outHeight, channels: src.channels };
}

/** The JS loops of {@link warpAffine} (the WebAssembly kernel in warp.wat does the same arithmetic). */
export function affineRowsJs(
  src: RawImage,
  inverse: Mat3,
  out: Uint8Array,
  outWidth: number,
  outHeight: number,
  fill: Fill,
): void {
  const [a, b, c, d, e, f] = inverse;
  const row = { a, b, c, d, e, f, outWidth, outHeight, fill };
  if (src.channels === 3) affineRows3(src, out, row);
  else affineRows4(src, out, row);
}

interface AffineJob {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly e: number;
  readonly f: number;
  readonly outWidth: number;
  readonly outHeight: number;
  readonly fill: Fill;
}

/** The edge and outside cases of the fixed-point loops. */
function edgeSample(src: RawImage, sx: number, sy: number, out: Uint8Array, o: number, fill: Fill): void {
  const u = sx / 65536 + 0.5;
  const v = sy / 65536 + 0.5;
  if (u < -EDGE || v < -EDGE || u > src.width + EDGE || v > src.height + EDGE) writeFill(out, o, fill, src.channels);
  else sampleClamped(src, u, v, out, o);
}

// The two loops below are the hot path of most pipelines: kept separate per channel count, with
// literal offsets and int32 arithmetic, which V8 compiles to tight machine code.

function affineRows3(src: RawImage, out: Uint8Array, job: AffineJob): void {
  const { a, b, c, d, e, f, outWidth, outHeight, fill } = job;
  const s = src.data;
  const stride = src.width * 3;
  const maxX = src.width - 1;
  const maxY = src.height - 1;
  const stepX = Math.round(a * 65536) | 0;
  const stepY = Math.round(d * 65536) | 0;
  let o = 0;
  for (let y = 0; y < outHeight; y++) {
    // Fixed-point source position of this row's first pixel centre, on the pixel-centre grid.
    let sx = Math.round((a * 0.5 + b * (y + 0.5) + c - 0.5) * 65536) | 0;
    let sy = Math.round((d * 0.5 + e * (y + 0.5) + f - 0.5) * 65536) | 0;
    for (let x = 0; x < outWidth; x++) {
      const ix = sx >> 16;
      const iy = sy >> 16;
      if (ix >= 0 && iy >= 0 && ix < maxX && iy < maxY) {
        const fx = (sx >>> 8) & 255;
        const fy = (sy >>> 8) & 255;
        const w00 = (256 - fx) * (256 - fy);
        const w01 = fx * (256 - fy);
        const w10 = (256 - fx) * fy;
        const w11 = fx * fy;
        const p = iy * stride + ix * 3;
        const q = p + stride;
        out[o] = (s[p]! * w00 + s[p + 3]! * w01 + s[q]! * w10 + s[q + 3]! * w11 + 32768) >>> 16;
        out[o + 1] = (s[p + 1]! * w00 + s[p + 4]! * w01 + s[q + 1]! * w10 + s[q + 4]! * w11 + 32768) >>> 16;
        out[o + 2] = (s[p + 2]! * w00 + s[p + 5]! * w01 + s[q + 2]! * w10 + s[q + 5]! * w11 + 32768) >>> 16;
      } else {
        edgeSample(src, sx, sy, out, o, fill);
      }
      sx = (sx + stepX) | 0;
      sy = (sy + stepY) | 0;
      o += 3;
    }
  }
}

function affineRows4(src: RawImage, out: Uint8Array, job: AffineJob): void {
  const { a, b, c, d, e, f, outWidth, outHeight, fill } = job;
  const s = src.data;
  const stride = src.width * 4;
  const maxX = src.width - 1;
  const maxY = src.height - 1;
  const stepX = Math.round(a * 65536) | 0;
  const stepY = Math.round(d * 65536) | 0;
  let o = 0;
  for (let y = 0; y < outHeight; y++) {
    let sx = Math.round((a * 0.5 + b * (y + 0.5) + c - 0.5) * 65536) | 0;
    let sy = Math.round((d * 0.5 + e * (y + 0.5) + f - 0.5) * 65536) | 0;
    for (let x = 0; x < outWidth; x++) {
      const ix = sx >> 16;
      const iy = sy >> 16;
      if (ix >= 0 && iy >= 0 && ix < maxX && iy < maxY) {
        const fx = (sx >>> 8) & 255;
        const fy = (sy >>> 8) & 255;
        const w00 = (256 - fx) * (256 - fy);
        const w01 = fx * (256 - fy);
        const w10 = (256 - fx) * fy;
        const w11 = fx * fy;
        const p = iy * stride + ix * 4;
        const q = p + stride;
        out[o] = (s[p]! * w00 + s[p + 4]! * w01 + s[q]! * w10 + s[q + 4]! * w11 + 32768) >>> 16;
        out[o + 1] = (s[p + 1]! * w00 + s[p + 5]! * w01 + s[q + 1]! * w10 + s[q + 5]! * w11 + 32768) >>> 16;
        out[o + 2] = (s[p + 2]! * w00 + s[p + 6]! * w01 + s[q + 2]! * w10 + s[q + 6]! * w11 + 32768) >>> 16;
        out[o + 3] = (s[p + 3]! * w00 + s[p + 7]! * w01 + s[q + 3]! * w10 + s[q + 7]! * w11 + 32768) >>> 16;
      } else {
        edgeSample(src, sx, sy, out, o, fill);
      }
      sx = (sx + stepX) | 0;
      sy = (sy + stepY) | 0;
      o += 4;
    }
  }
}

/** Samples one output row at the source positions U, V (or the fill of the stage that left its canvas). */
function sampleRow(
  src: RawImage,
  U: Float64Array,
  V: Float64Array,
  filled: Int32Array,
  stages: readonly WarpStage[],
  out: Uint8Array,
  start: number,
): void {
  const { width: W, height: H, channels: C, data: s } = src;
  const stride = W * C;
  const maxX = W - 1;
  const maxY = H - 1;
  let o = start;
  for (let x = 0; x < U.length; x++, o += C) {
    const k = filled[x]!;
    if (k >= 0) {
      writeFill(out, o, stages[k]!.fill, C);
      continue;
    }
    const fx = U[x]! - 0.5;
    const fy = V[x]! - 0.5;
    if (!(fx >= 0 && fy >= 0 && fx < maxX && fy < maxY)) {
      sampleClamped(src, U[x]!, V[x]!, out, o);
      continue;
    }
    // Same 8-bit-weight bilinear as the affine fast path.
    const ix = fx | 0;
    const iy = fy | 0;
    const tx = ((fx - ix) * 256) | 0;
    const ty = ((fy - iy) * 256) | 0;
    const w00 = (256 - tx) * (256 - ty);
    const w01 = tx * (256 - ty);
    const w10 = (256 - tx) * ty;
    const w11 = tx * ty;
    const p = iy * stride + ix * C;
    const q = p + stride;
    for (let c = 0; c < C; c++) {
      out[o + c] = (s[p + c]! * w00 + s[p + C + c]! * w01 + s[q + c]! * w10 + s[q + C + c]! * w11 + 32768) >>> 16;
    }
  }
}

/**
 * General warp through a chain of stages (first = nearest the source), one row at a time: every
 * output pixel centre is mapped back stage by stage, so intermediate canvases clip exactly as if
 * the operations had run one after another, but the image is resampled only once.
 */
export function warpStages(src: RawImage, stages: readonly WarpStage[], outWidth: number, outHeight: number): RawImage {
  const C = src.channels;
  const out = takeBuffer(outWidth * outHeight * C);
  const U = new Float64Array(outWidth);
  const V = new Float64Array(outWidth);
  const filled = new Int32Array(outWidth);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      U[x] = x + 0.5;
      V[x] = y + 0.5;
      filled[x] = -1;
    }
    for (let k = stages.length - 1; k >= 0; k--) {
      const stage = stages[k]!;
      if (stage.kind === 'matrix') {
        const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = stage.inverse;
        const w = stage.inWidth + EDGE;
        const h = stage.inHeight + EDGE;
        for (let x = 0; x < outWidth; x++) {
          if (filled[x]! >= 0) continue;
          const u = U[x]!;
          const v = V[x]!;
          const q = m6 * u + m7 * v + m8;
          const nu = (m0 * u + m1 * v + m2) / q;
          const nv = (m3 * u + m4 * v + m5) / q;
          U[x] = nu;
          V[x] = nv;
          if (!(q > 0 && nu >= -EDGE && nv >= -EDGE && nu <= w && nv <= h)) filled[x] = k;
        }
      } else {
        const { dx, dy, cols, rows, step } = stage.field;
        const w = stage.field.width + EDGE;
        const h = stage.field.height + EDGE;
        const inv = 1 / step;
        for (let x = 0; x < outWidth; x++) {
          if (filled[x]! >= 0) continue;
          const u = U[x]!;
          const v = V[x]!;
          // Bilinear read of the field lattice (clamped to its edge).
          const fx = Math.min(Math.max(u * inv, 0), cols - 1);
          const fy = Math.min(Math.max(v * inv, 0), rows - 1);
          // A lattice has at least 2 × 2 samples.
          const x0 = Math.min(fx | 0, cols - 2);
          const y0 = Math.min(fy | 0, rows - 2);
          const tx = fx - x0;
          const ty = fy - y0;
          const a = y0 * cols + x0;
          const b = a + cols;
          const w00 = (1 - tx) * (1 - ty);
          const w01 = tx * (1 - ty);
          const w10 = (1 - tx) * ty;
          const w11 = tx * ty;
          const nu = u + dx[a]! * w00 + dx[a + 1]! * w01 + dx[b]! * w10 + dx[b + 1]! * w11;
          const nv = v + dy[a]! * w00 + dy[a + 1]! * w01 + dy[b]! * w10 + dy[b + 1]! * w11;
          U[x] = nu;
          V[x] = nv;
          if (!(nu >= -EDGE && nv >= -EDGE && nu <= w && nv <= h)) filled[x] = k;
        }
      }
    }
    sampleRow(src, U, V, filled, stages, out, y * outWidth * C);
  }
  return { data: out, width: outWidth, height: outHeight, channels: C };
}
