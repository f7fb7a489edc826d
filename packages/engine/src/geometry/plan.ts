import type { Canvas, Effect, Fill } from '../effects.js';
import { apply, compose, identity, invert, isAffine, type Mat3 } from './matrix.js';
import type { WarpStage } from './warp.js';

/** Flop, then a clockwise quarter-turn rotation, then an optional extract: sharp's own order. */
export interface DihedralPlan {
  readonly kind: 'dihedral';
  readonly flop: boolean;
  readonly angle: 0 | 90 | 180 | 270;
  readonly extract?: { readonly left: number; readonly top: number; readonly width: number; readonly height: number };
}

/** How a run of consecutive geometric effects is rendered. */
export type GeometryPlan =
  | { readonly kind: 'identity' }
  | DihedralPlan
  | {
      readonly kind: 'affine';
      /** Output → source coordinates. */
      readonly inverse: Mat3;
      /** Forward map, for pre-shrinking. */
      readonly forward: Mat3;
      readonly width: number;
      readonly height: number;
      readonly fill: Fill;
    }
  | { readonly kind: 'stages'; readonly stages: readonly WarpStage[]; readonly width: number; readonly height: number };

type GeometricEffect = Extract<Effect, { kind: 'transform' | 'displace' }>;

const EDGE = 1e-6;
const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;
const nearInt = (a: number): boolean => Math.abs(a - Math.round(a)) < 1e-6;

/** The forward matrix and canvas of sharp's flop (optional) then rotate(angle) on a w×h image. */
function sharpDihedral(flop: boolean, quarters: number, w: number, h: number): { m: Mat3; w: number; h: number } {
  let m: Mat3 = flop ? [-1, 0, w, 0, 1, 0, 0, 0, 1] : identity();
  let cw = w;
  let ch = h;
  for (let q = 0; q < quarters; q++) {
    m = compose([0, -1, ch, 1, 0, 0, 0, 0, 1], m);
    [cw, ch] = [ch, cw];
  }
  return { m, w: cw, h: ch };
}

/** Expresses `forward` as sharp flop/rotate/extract when it only permutes whole pixels. */
function asDihedral(forward: Mat3, w: number, h: number, outW: number, outH: number): DihedralPlan | undefined {
  if (!isAffine(forward)) return undefined;
  for (const flop of [false, true]) {
    for (let quarters = 0; quarters < 4; quarters++) {
      const c = sharpDihedral(flop, quarters, w, h);
      if (![0, 1, 3, 4].every((i) => near(c.m[i] as number, forward[i] as number))) continue;
      const left = c.m[2] - forward[2];
      const top = c.m[5] - forward[5];
      if (!nearInt(left) || !nearInt(top)) return undefined;
      const l = Math.round(left);
      const t = Math.round(top);
      if (l < 0 || t < 0 || l + outW > c.w || t + outH > c.h) return undefined;
      const angle = (quarters * 90) as DihedralPlan['angle'];
      const whole = l === 0 && t === 0 && outW === c.w && outH === c.h;
      return whole
        ? { kind: 'dihedral', flop, angle }
        : { kind: 'dihedral', flop, angle, extract: { left: l, top: t, width: outW, height: outH } };
    }
  }
  return undefined;
}

/** True when the backward image of the w×h frame through `inverse` stays inside inW×inH. */
function frameInside(inverse: Mat3, w: number, h: number, inW: number, inH: number): boolean {
  for (const [x, y] of [
    [0, 0],
    [w, 0],
    [0, h],
    [w, h],
  ] as const) {
    const q = inverse[6] * x + inverse[7] * y + inverse[8];
    if (!(q > 0)) return false;
    const [u, v] = apply(inverse, x, y);
    if (u < -EDGE || v < -EDGE || u > inW + EDGE || v > inH + EDGE) return false;
  }
  return true;
}

/**
 * Plans a run of geometric effects on a canvas: one combined matrix when no intermediate canvas
 * clips anything (the common case), whole-pixel permutations handed to sharp, otherwise a staged warp.
 */
export function planGeometry(effects: readonly GeometricEffect[], canvas: Canvas): GeometryPlan {
  const stages: WarpStage[] = [];
  let w = canvas.width;
  let h = canvas.height;
  for (const effect of effects) {
    if (effect.kind === 'transform') {
      stages.push({ kind: 'matrix', inverse: invert(effect.matrix), inWidth: w, inHeight: h, fill: effect.fill });
      w = effect.width;
      h = effect.height;
    } else {
      stages.push({ kind: 'displace', field: effect.build({ ...canvas, width: w, height: h }), fill: effect.fill });
    }
  }
  if (effects.some((e) => e.kind === 'displace')) return { kind: 'stages', stages, width: w, height: h };
  // Backward from the output frame: does any intermediate canvas (input of stage k ≥ 1) clip it?
  let back: Mat3 = identity();
  for (let k = stages.length - 1; k >= 1; k--) {
    const stage = stages[k] as Extract<WarpStage, { kind: 'matrix' }>;
    back = compose(stage.inverse, back);
    if (!frameInside(back, w, h, stage.inWidth, stage.inHeight)) return { kind: 'stages', stages, width: w, height: h };
  }
  const first = stages[0] as Extract<WarpStage, { kind: 'matrix' }>;
  const inverse = compose(first.inverse, back);
  const forward = invert(inverse);
  const inside = frameInside(inverse, w, h, canvas.width, canvas.height);
  if (inside) {
    const dihedral = asDihedral(forward, canvas.width, canvas.height, w, h);
    if (dihedral !== undefined) {
      return dihedral.angle === 0 && !dihedral.flop && dihedral.extract === undefined ? { kind: 'identity' } : dihedral;
    }
  }
  if (!isAffine(inverse)) {
    const single: WarpStage = {
      kind: 'matrix',
      inverse,
      inWidth: canvas.width,
      inHeight: canvas.height,
      fill: first.fill,
    };
    return { kind: 'stages', stages: [single], width: w, height: h };
  }
  return { kind: 'affine', inverse, forward, width: w, height: h, fill: first.fill };
}
