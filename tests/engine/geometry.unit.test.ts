// biome-ignore-all lint/style/noNonNullAssertion: indexing typed arrays at positions the test set up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Effect } from '../../packages/engine/src/effects.js';
import { elasticField, gridField } from '../../packages/engine/src/geometry/displacement.js';
import {
  about,
  apply,
  compose,
  homography,
  invert,
  type Mat3,
  rotation,
  scale,
  translate,
  validAreaZoom,
} from '../../packages/engine/src/geometry/matrix.js';
import { planGeometry } from '../../packages/engine/src/geometry/plan.js';
import { warpAffine, warpStages } from '../../packages/engine/src/geometry/warp.js';
import type { RawImage } from '../../packages/engine/src/types.js';
import { patternPixels } from './helpers.js';

const close = (actual: number, expected: number, tolerance = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected}`);

const pattern = (): RawImage => ({ data: patternPixels(), width: 64, height: 48, channels: 3 });
const canvas = { width: 64, height: 48, hasAlpha: false };
const transform = (matrix: Mat3, width = 64, height = 48): Extract<Effect, { kind: 'transform' }> => ({
  kind: 'transform',
  matrix,
  width,
  height,
  fill: [0, 0, 0, 255],
});

describe('matrices', () => {
  it('inverts: m · m⁻¹ maps points back', () => {
    const m = compose(translate(3, -2), rotation(0.3), scale(1.5, 0.7));
    const [x, y] = apply(m, 10, 20);
    const [u, v] = apply(invert(m), x, y);
    close(u, 10, 1e-9);
    close(v, 20, 1e-9);
  });

  it('rotates clockwise on screen for positive angles', () => {
    const [x, y] = apply(rotation(Math.PI / 2), 1, 0);
    close(x, 0, 1e-12);
    close(y, 1, 1e-12);
  });

  it('solves a homography that maps the four corners where asked', () => {
    const from = [
      [0, 0],
      [64, 0],
      [64, 48],
      [0, 48],
    ] as const;
    const to = [
      [10, 0],
      [54, 0],
      [64, 48],
      [0, 48],
    ] as const;
    const h = homography(from, to);
    for (let k = 0; k < 4; k++) {
      const [x, y] = apply(h, from[k]![0], from[k]![1]);
      close(x, to[k]![0], 1e-9);
      close(y, to[k]![1], 1e-9);
    }
  });

  it('needs no zoom to keep a frame valid at 0° and 180°', () => {
    close(validAreaZoom(rotation(0), 64, 48), 1, 1e-12);
    close(validAreaZoom(rotation(Math.PI), 64, 48), 1, 1e-9);
  });

  it('zooms a rotated frame just enough that its corners stay inside the image', () => {
    const w = 64;
    const h = 48;
    const r = rotation((20 * Math.PI) / 180);
    const s = validAreaZoom(r, w, h);
    const m = about(compose(scale(s, s), r), w / 2, h / 2);
    const back = invert(m);
    let touching = false;
    for (const [x, y] of [
      [0, 0],
      [w, 0],
      [0, h],
      [w, h],
    ] as const) {
      const [u, v] = apply(back, x, y);
      assert.ok(u >= -1e-9 && v >= -1e-9 && u <= w + 1e-9 && v <= h + 1e-9, `corner maps to ${u},${v}`);
      if (Math.abs(u) < 1e-6 || Math.abs(v) < 1e-6 || Math.abs(u - w) < 1e-6 || Math.abs(v - h) < 1e-6) touching = true;
    }
    assert.ok(touching, 'the zoom is the smallest that works');
  });
});

describe('planning geometric steps', () => {
  describe('when the steps only permute whole pixels', () => {
    it('plans nothing for two flips that cancel out', () => {
      const flip = transform([-1, 0, 64, 0, 1, 0, 0, 0, 1]);
      assert.deepEqual(planGeometry([flip, flip], canvas), { kind: 'identity' });
    });

    it("hands a quarter turn to sharp's rotate", () => {
      const plan = planGeometry([transform([0, -1, 48, 1, 0, 0, 0, 0, 1], 48, 64)], canvas);
      assert.deepEqual(plan, { kind: 'dihedral', flop: false, angle: 90 });
    });

    it("hands a pixel crop to sharp's extract", () => {
      const plan = planGeometry([transform(translate(-5, -7), 20, 10)], canvas);
      assert.deepEqual(plan, {
        kind: 'dihedral',
        flop: false,
        angle: 0,
        extract: { left: 5, top: 7, width: 20, height: 10 },
      });
    });
  });

  describe('when the steps resample', () => {
    it('combines rotate, flip and zoom into one affine map', () => {
      const rotate = transform(about(rotation(0.2), 32, 24));
      const flip = transform([-1, 0, 64, 0, 1, 0, 0, 0, 1]);
      const zoom = transform(about(scale(1.5, 1.5), 32, 24));
      const plan = planGeometry([rotate, flip, zoom], canvas);
      assert.equal(plan.kind, 'affine');
    });

    it('warps in stages when an intermediate canvas clips the image', () => {
      // Rotate (cutting the corners off), then rotate back: the cut corners must stay cut.
      const there = transform(about(rotation(0.5), 32, 24));
      const back = transform(about(rotation(-0.5), 32, 24));
      assert.equal(planGeometry([there, back], canvas).kind, 'stages');
    });
  });
});

describe('warping', () => {
  it('reproduces the image under the identity map', () => {
    const src = pattern();
    const out = warpAffine(src, [1, 0, 0, 0, 1, 0, 0, 0, 1], 64, 48, [0, 0, 0, 255]);
    assert.ok(out);
    assert.deepEqual(Buffer.from(out.data), src.data);
  });

  it('mirrors exactly under a flip', () => {
    const src = pattern();
    const out = warpAffine(src, [-1, 0, 64, 0, 1, 0, 0, 0, 1], 64, 48, [0, 0, 0, 255]);
    assert.ok(out);
    for (const [x, y] of [
      [0, 0],
      [10, 10],
      [63, 47],
    ] as const) {
      const o = (y * 64 + x) * 3;
      const m = (y * 64 + (63 - x)) * 3;
      assert.deepEqual([...out.data.subarray(o, o + 3)], [...src.data.subarray(m, m + 3)]);
    }
  });

  it('fills what falls outside the source', () => {
    const src = pattern();
    // Zoom out by 2 about the centre: the border becomes fill.
    const inverse = invert(about(scale(0.5, 0.5), 32, 24));
    const out = warpAffine(src, inverse, 64, 48, [1, 2, 3, 255]);
    assert.ok(out);
    assert.deepEqual([...out.data.subarray(0, 3)], [1, 2, 3]);
    const centre = (24 * 64 + 32) * 3;
    assert.notDeepEqual([...out.data.subarray(centre, centre + 3)], [1, 2, 3]);
  });

  it('gives the same pixels through the staged path as through the fast path', () => {
    const src = pattern();
    const inverse = invert(about(compose(scale(1.3, 1.3), rotation(0.3)), 32, 24));
    const fast = warpAffine(src, inverse, 64, 48, [0, 0, 0, 255]);
    const staged = warpStages(
      src,
      [{ kind: 'matrix', inverse, inWidth: 64, inHeight: 48, fill: [0, 0, 0, 255] }],
      64,
      48,
    );
    assert.ok(fast);
    let worst = 0;
    for (let i = 0; i < staged.data.length; i++) worst = Math.max(worst, Math.abs(fast.data[i]! - staged.data[i]!));
    assert.ok(worst <= 2, `largest difference ${worst}`);
  });

  it('keeps the fill from the step that uncovered it', () => {
    const src = pattern();
    const stages = [
      {
        kind: 'matrix' as const,
        inverse: invert(about(scale(0.5, 0.5), 32, 24)),
        inWidth: 64,
        inHeight: 48,
        fill: [255, 0, 0, 255] as const,
      },
      {
        kind: 'matrix' as const,
        inverse: invert(about(scale(0.8, 0.8), 32, 24)),
        inWidth: 64,
        inHeight: 48,
        fill: [0, 0, 255, 255] as const,
      },
    ];
    const out = warpStages(src, stages, 64, 48);
    assert.deepEqual([...out.data.subarray(0, 3)], [0, 0, 255]);
    const inner = (24 * 64 + 10) * 3;
    assert.deepEqual([...out.data.subarray(inner, inner + 3)], [255, 0, 0]);
  });
});

describe('displacement fields', () => {
  it('keeps a grid distortion zero on the border and bounded inside', () => {
    const field = gridField(64, 48, 4, 4, 0.2, 7);
    let largest = 0;
    for (let i = 0; i < field.dx.length; i++) largest = Math.max(largest, Math.abs(field.dx[i]!));
    assert.ok(largest > 0 && largest <= 0.2 * 16 + 1e-9, `largest ${largest}`);
    assert.ok(Math.abs(field.dx[0]!) < 0.2, 'near zero at the corner');
  });

  it('draws the same field from the same seed, and another from another', () => {
    assert.deepEqual(elasticField(64, 48, 0.05, 0.2, 1).dx, elasticField(64, 48, 0.05, 0.2, 1).dx);
    assert.notDeepEqual(elasticField(64, 48, 0.05, 0.2, 1).dx, elasticField(64, 48, 0.05, 0.2, 2).dx);
  });

  it('keeps an elastic displacement within its magnitude', () => {
    const field = elasticField(64, 48, 0.05, 0.2, 3);
    for (let i = 0; i < field.dx.length; i++) assert.ok(Math.abs(field.dx[i]!) <= 0.05 * 48 + 1e-6);
  });
});
