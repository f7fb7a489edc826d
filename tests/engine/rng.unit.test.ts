import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, variantRng } from '../../packages/engine/src/rng.js';

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

describe('the seeded generator', () => {
  describe('when two generators share a key', () => {
    it('produces the same sequence', () => {
      // Prepare
      const a = Rng.fromKey('same key');
      const b = Rng.fromKey('same key');
      // Act
      const first = draws(a, 100);
      const second = draws(b, 100);
      // Assess
      assert.deepEqual(first, second);
    });

    it('matches the xoshiro128** reference sequence for the state [1, 2, 3, 4]', () => {
      // Prepare
      const rng = new Rng(1, 2, 3, 4);
      // Act
      const sequence = draws(rng, 10);
      // Assess: the reference implementation's first ten outputs.
      assert.deepEqual(
        sequence,
        [11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804],
      );
    });
  });

  describe('when the variant index, seed or source differ', () => {
    it('gives a different sequence for each', () => {
      // Prepare
      const keys = [variantRng(1, 'abc', 0), variantRng(1, 'abc', 1), variantRng(2, 'abc', 0), variantRng(1, 'abd', 0)];
      // Act
      const firsts = keys.map((rng) => draws(rng, 2).join(','));
      // Assess
      assert.equal(new Set(firsts).size, 4);
    });
  });

  describe('when drawing numbers', () => {
    it('keeps floats in [0, 1), uniforms and integers in their bounds', () => {
      const rng = Rng.fromKey('bounds');
      for (let i = 0; i < 5000; i++) {
        const f = rng.float();
        assert.ok(f >= 0 && f < 1);
        const u = rng.uniform(-20, 20);
        assert.ok(u >= -20 && u <= 20);
        const n = rng.int(3, 5);
        assert.ok(Number.isInteger(n) && n >= 3 && n <= 5);
      }
    });

    it('reaches every integer of a small range', () => {
      const rng = Rng.fromKey('coverage');
      const seen = new Set(Array.from({ length: 200 }, () => rng.int(1, 3)));
      assert.deepEqual([...seen].sort(), [1, 2, 3]);
    });

    it('never passes chance(0) and always passes chance(1)', () => {
      const rng = Rng.fromKey('chance');
      for (let i = 0; i < 1000; i++) {
        assert.equal(rng.chance(0), false);
        assert.equal(rng.chance(1), true);
      }
    });

    it('passes chance(0.3) about 30% of the time', () => {
      const rng = Rng.fromKey('rate');
      const hits = Array.from({ length: 10000 }, () => rng.chance(0.3)).filter(Boolean).length;
      assert.ok(hits > 2800 && hits < 3200, `hits ${hits}`);
    });

    it('draws gaussians with mean near 0 and deviation near 1', () => {
      const rng = Rng.fromKey('gauss');
      const xs = Array.from({ length: 20000 }, () => rng.gaussian());
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
      assert.ok(Math.abs(mean) < 0.05, `mean ${mean}`);
      assert.ok(Math.abs(sd - 1) < 0.05, `sd ${sd}`);
    });

    it('never picks an index of zero weight', () => {
      const rng = Rng.fromKey('weights');
      for (let i = 0; i < 1000; i++) assert.notEqual(rng.weightedIndex([1, 0, 2]), 1);
    });

    it('samples distinct indices in increasing order', () => {
      const rng = Rng.fromKey('sample');
      for (let i = 0; i < 200; i++) {
        const picked = rng.sampleIndices(6, 3);
        assert.equal(new Set(picked).size, 3);
        assert.deepEqual(
          picked,
          [...picked].sort((a, b) => a - b),
        );
        assert.ok(picked.every((p) => p >= 0 && p < 6));
      }
    });
  });
});
