// biome-ignore-all lint/style/noNonNullAssertion: typed-array indexing, in bounds by construction.
import type { DisplacementField } from '../effects.js';

/** The field's displacement at (u, v): the same clamped bilinear lattice read as the warp's. */
export function displacementAt(field: DisplacementField, u: number, v: number): [number, number] {
  const { dx, dy, cols, rows, step } = field;
  const fx = Math.min(Math.max(u / step, 0), cols - 1);
  const fy = Math.min(Math.max(v / step, 0), rows - 1);
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
  return [
    dx[a]! * w00 + dx[a + 1]! * w01 + dx[b]! * w10 + dx[b + 1]! * w11,
    dy[a]! * w00 + dy[a + 1]! * w01 + dy[b]! * w10 + dy[b + 1]! * w11,
  ];
}

/**
 * Where a source point q lands: the pixels at output p come from p + d(p), so the point moves to
 * the p with p + d(p) = q, found by fixed-point iteration p ← q − d(p) (a contraction while the field
 * bends less than it shifts, as grid and elastic fields do).
 */
export function forwardThroughField(field: DisplacementField, qx: number, qy: number): [number, number] {
  let px = qx;
  let py = qy;
  for (let k = 0; k < 50; k++) {
    const [dx, dy] = displacementAt(field, px, py);
    const nx = qx - dx;
    const ny = qy - dy;
    const moved = Math.abs(nx - px) + Math.abs(ny - py);
    px = nx;
    py = ny;
    if (moved < 1e-4) break;
  }
  return [px, py];
}
