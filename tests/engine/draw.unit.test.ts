import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PRESETS, validateSpec } from '@delta-augment/core';
import { Rng } from '@delta-augment/engine';
import { drawVariant } from '../../packages/engine/src/draw.js';
import { apply } from '../../packages/engine/src/geometry/matrix.js';

const canvas = { width: 640, height: 480, hasAlpha: false };
const ops = (spec: unknown, key = 'k'): string[] =>
  drawVariant(validateSpec(spec), Rng.fromKey(key), canvas).map((d) => d.op);

describe('drawing a variant', () => {
  describe('when a step has probability 0', () => {
    it('never runs it', () => {
      for (let i = 0; i < 50; i++) assert.deepEqual(ops({ steps: [{ op: 'invert', probability: 0 }] }, `k${i}`), []);
    });
  });

  describe('when a step has probability 1', () => {
    it('always runs it', () => {
      for (let i = 0; i < 50; i++)
        assert.deepEqual(ops({ steps: [{ op: 'invert', probability: 1 }] }, `k${i}`), ['invert']);
    });
  });

  describe('when the same generator state is used twice', () => {
    it('draws the same operations and parameters', () => {
      const spec = validateSpec(PRESETS.heavy);
      const a = drawVariant(spec, Rng.fromKey('same'), canvas).map((d) => [d.op, d.params]);
      const b = drawVariant(spec, Rng.fromKey('same'), canvas).map((d) => [d.op, d.params]);
      assert.deepEqual(a, b);
    });
  });

  describe('when a oneOf group runs', () => {
    it('runs exactly one member, respecting zero weights', () => {
      const spec = { steps: [{ oneOf: [{ op: 'blur' }, { op: 'sharpen' }, { op: 'invert' }], weights: [1, 0, 1] }] };
      const seen = new Set<string>();
      for (let i = 0; i < 100; i++) {
        const drawn = ops(spec, `g${i}`);
        assert.equal(drawn.length, 1);
        seen.add(drawn[0] as string);
      }
      assert.deepEqual([...seen].sort(), ['blur', 'invert']);
    });
  });

  describe('when a someOf group runs', () => {
    it('runs between count[0] and count[1] distinct members in their listed order', () => {
      const order = ['blur', 'invert', 'greyscale', 'equalise'];
      const spec = { steps: [{ someOf: order.map((op) => ({ op })), count: [2, 3] }] };
      for (let i = 0; i < 100; i++) {
        const drawn = ops(spec, `s${i}`);
        assert.ok(drawn.length >= 2 && drawn.length <= 3);
        assert.equal(new Set(drawn).size, drawn.length);
        assert.deepEqual(
          drawn,
          [...drawn].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
        );
      }
    });
  });

  describe('when ranges are drawn', () => {
    it('keeps drawn parameters in their range, rounded to 4 decimals', () => {
      for (let i = 0; i < 100; i++) {
        const [rotate] = drawVariant(
          validateSpec({ steps: [{ op: 'rotate', angle: [-20, 20] }] }),
          Rng.fromKey(`r${i}`),
          canvas,
        );
        const angle = rotate?.params.angle as number;
        assert.ok(angle >= -20 && angle <= 20);
        assert.equal(Math.round(angle * 1e4) / 1e4, angle);
      }
    });

    it('tracks the canvas size through size-changing steps', () => {
      const drawn = drawVariant(
        validateSpec({ steps: [{ op: 'rotate90' }, { op: 'crop', width: 100, height: 50, position: 'centre' }] }),
        Rng.fromKey('c'),
        canvas,
      );
      // After the quarter turn the canvas is 480×640, so a centred 100×50 crop starts at (190, 295).
      assert.deepEqual(drawn[1]?.params, { left: 190, top: 295, width: 100, height: 50, resize: false });
    });
  });

  describe('when a skew tilts the left or right side', () => {
    it('moves only the corners of that side, towards each other', () => {
      for (let i = 0; i < 20; i++) {
        const spec = validateSpec({ steps: [{ op: 'skew', type: 'tiltLeftRight', magnitude: 0.2 }] });
        const [skew] = drawVariant(spec, Rng.fromKey(`t${i}`), canvas);
        const side = skew?.params.side as string;
        assert.ok(side === 'left' || side === 'right', side);
        assert.equal(skew?.effect.kind, 'transform');
        if (skew?.effect.kind !== 'transform') return;
        const x = side === 'left' ? 0 : 640;
        const [tx, ty] = apply(skew.effect.matrix, x, 0);
        assert.ok(
          Math.abs(tx - x) < 1e-6 && Math.abs(ty - 48) < 1e-6,
          `top corner of the ${side} side went to ${tx},${ty}`,
        );
        const other = side === 'left' ? 640 : 0;
        const [ox, oy] = apply(skew.effect.matrix, other, 0);
        assert.ok(Math.abs(ox - other) < 1e-6 && Math.abs(oy) < 1e-6, 'the other side stays');
      }
    });
  });

  describe('when a pipeline would grow the image past the limits', () => {
    it('fails permanently instead of allocating it', () => {
      const spec = validateSpec({ steps: Array.from({ length: 6 }, () => ({ op: 'scale', factor: 4 })) });
      assert.throws(() => drawVariant(spec, Rng.fromKey('big'), canvas), /at most/);
    });
  });
});
