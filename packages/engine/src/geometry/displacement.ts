// biome-ignore-all lint/style/noNonNullAssertion: typed-array and fixed-size tuple indexing in hot loops, in bounds by construction.
import type { DisplacementField } from '../effects.js';
import { Rng } from '../rng.js';

/** Lattice spacing for a field over a w×h canvas: at most about 2^18 samples. */
export const fieldStep = (width: number, height: number): number =>
  Math.max(1, Math.ceil(Math.sqrt((width * height) / 262144)));

/** An empty field over the canvas, with its lattice. */
function lattice(width: number, height: number) {
  const step = fieldStep(width, height);
  const cols = Math.ceil(width / step) + 1;
  const rows = Math.ceil(height / step) + 1;
  return { width, height, step, cols, rows, dx: new Float32Array(cols * rows), dy: new Float32Array(cols * rows) };
}

/**
 * Grid distortion: the inner vertices of a `gridWidth` × `gridHeight` grid move by up to `magnitude`
 * of a cell (drawn from `seed`); the displacement is bilinear inside each cell, zero on the border.
 */
export function gridField(
  width: number,
  height: number,
  gridWidth: number,
  gridHeight: number,
  magnitude: number,
  seed: number,
): DisplacementField {
  const rng = Rng.fromSeed(seed);
  const cellW = width / gridWidth;
  const cellH = height / gridHeight;
  const cols = gridWidth + 1;
  const vx = new Float64Array(cols * (gridHeight + 1));
  const vy = new Float64Array(cols * (gridHeight + 1));
  for (let j = 1; j < gridHeight; j++) {
    for (let i = 1; i < gridWidth; i++) {
      vx[j * cols + i] = rng.uniform(-magnitude, magnitude) * cellW;
      vy[j * cols + i] = rng.uniform(-magnitude, magnitude) * cellH;
    }
  }
  const field = lattice(width, height);
  const { dx, dy, step } = field;
  for (let r = 0; r < field.rows; r++) {
    const gy = Math.min(Math.min(r * step, height) / cellH, gridHeight - 1e-9);
    const j = Math.floor(gy);
    const ty = gy - j;
    for (let c = 0; c < field.cols; c++) {
      const gx = Math.min(Math.min(c * step, width) / cellW, gridWidth - 1e-9);
      const i = Math.floor(gx);
      const tx = gx - i;
      const a = j * cols + i;
      const b = a + cols;
      const o = r * field.cols + c;
      dx[o] = (vx[a]! * (1 - tx) + vx[a + 1]! * tx) * (1 - ty) + (vx[b]! * (1 - tx) + vx[b + 1]! * tx) * ty;
      dy[o] = (vy[a]! * (1 - tx) + vy[a + 1]! * tx) * (1 - ty) + (vy[b]! * (1 - tx) + vy[b + 1]! * tx) * ty;
    }
  }
  return field;
}

/** Uniform cubic B-spline weights at t ∈ [0, 1). */
function bspline(t: number, out: Float64Array, offset: number): void {
  const t2 = t * t;
  const t3 = t2 * t;
  out[offset] = (1 - t) ** 3 / 6;
  out[offset + 1] = (3 * t3 - 6 * t2 + 4) / 6;
  out[offset + 2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
  out[offset + 3] = t3 / 6;
}

/**
 * Elastic distortion: random control vectors (uniform in ±`magnitude` × shorter side) every
 * `scale` × shorter side, smoothed by a cubic B-spline (drawn from `seed`).
 */
export function elasticField(
  width: number,
  height: number,
  magnitude: number,
  scale: number,
  seed: number,
): DisplacementField {
  const rng = Rng.fromSeed(seed);
  const short = Math.min(width, height);
  const spacing = Math.max(2, scale * short);
  const amplitude = magnitude * short;
  const nx = Math.floor(width / spacing) + 4;
  const ny = Math.floor(height / spacing) + 4;
  const cx = new Float64Array(nx * ny);
  const cy = new Float64Array(nx * ny);
  for (let k = 0; k < nx * ny; k++) {
    cx[k] = rng.uniform(-amplitude, amplitude);
    cy[k] = rng.uniform(-amplitude, amplitude);
  }
  const field = lattice(width, height);
  const { dx, dy, step, cols } = field;
  const xIndex = new Int32Array(cols);
  const xWeights = new Float64Array(cols * 4);
  for (let c = 0; c < cols; c++) {
    const p = Math.min(c * step, width) / spacing;
    const i = Math.floor(p);
    xIndex[c] = i;
    bspline(p - i, xWeights, c * 4);
  }
  const rowX = new Float64Array(nx);
  const rowY = new Float64Array(nx);
  const yw = new Float64Array(4);
  for (let r = 0; r < field.rows; r++) {
    const p = Math.min(r * step, height) / spacing;
    const j = Math.floor(p);
    bspline(p - j, yw, 0);
    for (let i = 0; i < nx; i++) {
      let sx = 0;
      let sy = 0;
      for (let k = 0; k < 4; k++) {
        sx += yw[k]! * cx[(j + k) * nx + i]!;
        sy += yw[k]! * cy[(j + k) * nx + i]!;
      }
      rowX[i] = sx;
      rowY[i] = sy;
    }
    for (let c = 0; c < cols; c++) {
      const i = xIndex[c]!;
      const w = c * 4;
      const o = r * cols + c;
      dx[o] =
        xWeights[w]! * rowX[i]! +
        xWeights[w + 1]! * rowX[i + 1]! +
        xWeights[w + 2]! * rowX[i + 2]! +
        xWeights[w + 3]! * rowX[i + 3]!;
      dy[o] =
        xWeights[w]! * rowY[i]! +
        xWeights[w + 1]! * rowY[i + 1]! +
        xWeights[w + 2]! * rowY[i + 2]! +
        xWeights[w + 3]! * rowY[i + 3]!;
    }
  }
  return field;
}
