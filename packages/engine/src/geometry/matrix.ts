// biome-ignore-all lint/style/noNonNullAssertion: typed-array and fixed-size tuple indexing in hot loops, in bounds by construction.
/** A 3×3 row-major homogeneous matrix: x' = (m0 x + m1 y + m2) / (m6 x + m7 y + m8), y' likewise with m3..m5. */
export type Mat3 = readonly [number, number, number, number, number, number, number, number, number];

export const identity = (): Mat3 => [1, 0, 0, 0, 1, 0, 0, 0, 1];
export const translate = (tx: number, ty: number): Mat3 => [1, 0, tx, 0, 1, ty, 0, 0, 1];
export const scale = (sx: number, sy: number): Mat3 => [sx, 0, 0, 0, sy, 0, 0, 0, 1];
/** Rotation by `radians`, clockwise on screen (y points down). */
export const rotation = (radians: number): Mat3 => {
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  return [c, -s, 0, s, c, 0, 0, 0, 1];
};

/** a · b (apply b first, then a). */
export function multiply(a: Mat3, b: Mat3): Mat3 {
  const r = new Array<number>(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      r[i * 3 + j] = a[i * 3]! * b[j]! + a[i * 3 + 1]! * b[3 + j]! + a[i * 3 + 2]! * b[6 + j]!;
    }
  }
  return r as unknown as Mat3;
}

/** Composes matrices right to left: compose(a, b, c) = a · b · c. */
export const compose = (...ms: Mat3[]): Mat3 => ms.reduce((acc, m) => multiply(acc, m), identity());

/** The inverse; throws for a singular matrix. */
export function invert(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('singular transform');
  const k = 1 / det;
  return [
    A * k,
    -(b * i - c * h) * k,
    (b * f - c * e) * k,
    B * k,
    (a * i - c * g) * k,
    -(a * f - c * d) * k,
    C * k,
    -(a * h - b * g) * k,
    (a * e - b * d) * k,
  ];
}

/** Applies `m` to the point (x, y). */
export function apply(m: Mat3, x: number, y: number): [number, number] {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

/** True when the matrix has no projective part. */
export const isAffine = (m: Mat3): boolean => Math.abs(m[6]) < 1e-12 && Math.abs(m[7]) < 1e-12;

/** About the point (cx, cy): translate(c) · m · translate(-c). */
export const about = (m: Mat3, cx: number, cy: number): Mat3 => compose(translate(cx, cy), m, translate(-cx, -cy));

/**
 * The homography that maps the four points `from` onto the four points `to` (solves the 8×8 system).
 */
export function homography(
  from: readonly (readonly [number, number])[],
  to: readonly (readonly [number, number])[],
): Mat3 {
  const rows: number[][] = [];
  for (let k = 0; k < 4; k++) {
    const [x, y] = from[k] as readonly [number, number];
    const [u, v] = to[k] as readonly [number, number];
    rows.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u]);
    rows.push([0, 0, 0, x, y, 1, -v * x, -v * y, v]);
  }
  // Gauss-Jordan with partial pivoting on the 8×9 augmented matrix.
  for (let col = 0; col < 8; col++) {
    let pivot = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(rows[r]![col]!) > Math.abs(rows[pivot]![col]!)) pivot = r;
    [rows[col], rows[pivot]] = [rows[pivot]!, rows[col]!];
    const p = rows[col]![col]!;
    if (Math.abs(p) < 1e-12) throw new RangeError('degenerate quadrilateral');
    for (let j = col; j < 9; j++) rows[col]![j]! /= p;
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const factor = rows[r]![col]!;
      if (factor === 0) continue;
      for (let j = col; j < 9; j++) rows[r]![j]! -= factor * rows[col]![j]!;
    }
  }
  const h = rows.map((row) => row[8]!);
  return [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!, 1];
}

/**
 * The smallest zoom factor s such that, after the linear map `m` (about the centre) and a zoom by s,
 * the w×h frame shows no area from outside the image ("crop to the valid area").
 */
export function validAreaZoom(m: Mat3, w: number, h: number): number {
  const inv = invert(m);
  let s = 1e-9;
  for (const [x, y] of [
    [w / 2, h / 2],
    [-w / 2, h / 2],
    [w / 2, -h / 2],
    [-w / 2, -h / 2],
  ] as const) {
    const [u, v] = apply(inv, x, y);
    s = Math.max(s, Math.abs(u) / (w / 2), Math.abs(v) / (h / 2));
  }
  return s;
}
