// biome-ignore-all lint/style/noNonNullAssertion: indexing arrays at positions the test set up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Bitmap, decodeRle, decodeRleColumns, encodeRle, type Rle } from '@delta-augment/core';
import {
  about,
  compose,
  invert,
  type Mat3,
  rotation,
  scale,
  translate,
} from '../../packages/engine/src/geometry/matrix.js';
import { cropOfRle, encodeCrop, eraseCrop, type MaskStage, warpCrop } from '../../packages/engine/src/labels/mask.js';
import { Rng } from '../../packages/engine/src/rng.js';

/** COCO RLE the obvious way: every pixel, column by column. */
const naiveRle = ({ width, height, data }: Bitmap): Rle => {
  const counts: number[] = [];
  let value = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const bit = data[y * width + x]! ? 1 : 0;
      if (bit === value) run++;
      else {
        counts.push(run);
        value = bit;
        run = 1;
      }
    }
  }
  counts.push(run);
  return { width, height, counts };
};

/** A bitmap of a few random discs. */
const blobs = (rng: Rng, width: number, height: number): Bitmap => {
  const data = new Uint8Array(width * height);
  for (let k = 0; k < 3; k++) {
    const cx = rng.uniform(0, width);
    const cy = rng.uniform(0, height);
    const r = rng.uniform(2, Math.min(width, height) / 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * width + x] = 1;
  }
  return { width, height, data };
};

/** The reference warp: every output pixel of the canvas mapped back stage by stage (no fusion, no crop). */
const naiveWarp = (
  mask: Bitmap,
  stages: readonly Extract<MaskStage, { kind: 'matrix' }>[],
  W: number,
  H: number,
): Bitmap => {
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let u = x + 0.5;
      let v = y + 0.5;
      let inside = true;
      for (let k = stages.length - 1; k >= 0 && inside; k--) {
        const { inverse: m, inWidth, inHeight } = stages[k]!;
        const q = m[6] * u + m[7] * v + m[8];
        const nu = (m[0] * u + m[1] * v + m[2]) / q;
        v = (m[3] * u + m[4] * v + m[5]) / q;
        u = nu;
        inside = q > 0 && u >= 0 && v >= 0 && u <= inWidth && v <= inHeight;
      }
      if (!inside) continue;
      const sx = Math.min(mask.width - 1, Math.floor(u));
      const sy = Math.min(mask.height - 1, Math.floor(v));
      data[y * W + x] = mask.data[sy * mask.width + sx]!;
    }
  }
  return { width: W, height: H, data };
};

const differing = (a: Uint8Array, b: Uint8Array): number => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);

describe('RLE masks', () => {
  it('encode as the per-pixel column-major reference does, and decode back in either order', () => {
    // Prepare
    const rng = Rng.fromKey('rle');
    for (let k = 0; k < 60; k++) {
      const bitmap = blobs(rng, 1 + rng.int(0, 40), 1 + rng.int(0, 30));
      // Act
      const rle = encodeRle(bitmap);
      // Assess
      assert.deepEqual(rle, naiveRle(bitmap));
      assert.deepEqual(decodeRle(rle).data, bitmap.data);
      const columns = decodeRleColumns(rle);
      for (let x = 0; x < bitmap.width; x++) {
        for (let y = 0; y < bitmap.height; y++)
          assert.equal(columns[x * bitmap.height + y], bitmap.data[y * bitmap.width + x]);
      }
    }
  });
});

describe('a mask warped through several matrices', () => {
  const W = 90;
  const H = 70;
  const stagesOf = (ms: readonly Mat3[]): Extract<MaskStage, { kind: 'matrix' }>[] =>
    ms.map((m) => ({ kind: 'matrix', inverse: invert(m), inWidth: W, inHeight: H }));

  it('matches the stage-by-stage reference pixel for pixel when fused (no canvas clips it)', () => {
    // Prepare: a blob in the middle; a small rotation, a flip and a zoom that keep it inside.
    const rng = Rng.fromKey('warp');
    for (let k = 0; k < 10; k++) {
      const data = new Uint8Array(W * H);
      const cx = 45 + rng.uniform(-5, 5);
      const cy = 35 + rng.uniform(-5, 5);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) if ((x - cx) ** 2 + ((y - cy) * 1.5) ** 2 < 200) data[y * W + x] = 1;
      const bitmap = { width: W, height: H, data };
      const stages = stagesOf([
        about(rotation(rng.uniform(-0.3, 0.3)), W / 2, H / 2),
        [-1, 0, W, 0, 1, 0, 0, 0, 1],
        about(scale(1.1, 1.1), W / 2, H / 2),
      ]);
      // Act
      const crop = warpCrop(cropOfRle(encodeRle(bitmap)), stages, { width: W, height: H }, W, H, {
        x: 0,
        y: 0,
        width: W,
        height: H,
      });
      // Assess
      const expected = naiveWarp(bitmap, stages, W, H);
      assert.deepEqual(encodeCrop(crop, W, H), encodeRle(expected));
    }
  });

  it('keeps the intermediate canvas that clips it (the part shifted out and back in stays empty)', () => {
    // Prepare: shift right by 30 (the right part leaves the canvas), then back left by 30.
    const data = new Uint8Array(W * H);
    for (let y = 20; y < 50; y++) data.fill(1, y * W + 50, y * W + 85);
    const bitmap = { width: W, height: H, data };
    const stages = stagesOf([translate(30, 0), compose(translate(-30, 0))]);
    // Act
    const crop = warpCrop(cropOfRle(encodeRle(bitmap)), stages, { width: W, height: H }, W, H, {
      x: 0,
      y: 0,
      width: W,
      height: H,
    });
    // Assess: columns 60..84 went past x = 90 on the way and are gone.
    const expected = naiveWarp(bitmap, stages, W, H);
    assert.equal(differing(decodeRle(encodeCrop(crop, W, H)).data, expected.data), 0);
    assert.deepEqual(crop.region, { x: 50, y: 20, width: 10, height: 30 });
  });

  it('loses the erased pixels and shrinks to what is left', () => {
    // Prepare
    const data = new Uint8Array(W * H);
    for (let y = 10; y < 30; y++) data.fill(1, y * W + 10, y * W + 40);
    const crop = cropOfRle(encodeRle({ width: W, height: H, data }));
    // Act
    const erased = eraseCrop(crop, [{ x: 25, y: 0, width: 30, height: 70 }]);
    // Assess
    assert.equal(crop.count, 600);
    assert.equal(erased.count, 300);
    assert.deepEqual(erased.region, { x: 10, y: 10, width: 15, height: 20 });
  });

  it('follows a displacement field with the mask read the right way round (an L shape through a still field)', () => {
    // Prepare: an L (not symmetric about its diagonal) in a crop wider than tall, and a field that moves nothing
    const data = new Uint8Array(W * H);
    for (let y = 20; y < 30; y++) data.fill(1, y * W + 10, y * W + 60);
    for (let y = 30; y < 36; y++) data.fill(1, y * W + 10, y * W + 16);
    const bitmap = { width: W, height: H, data };
    const step = 10;
    const cols = Math.ceil(W / step) + 1;
    const rows = Math.ceil(H / step) + 1;
    const still = {
      width: W,
      height: H,
      step,
      cols,
      rows,
      dx: new Float32Array(cols * rows),
      dy: new Float32Array(cols * rows),
    };
    // Act
    const crop = warpCrop(cropOfRle(encodeRle(bitmap)), [{ kind: 'displace', field: still }], bitmap, W, H, {
      x: 0,
      y: 0,
      width: W,
      height: H,
    });
    // Assess
    assert.deepEqual(encodeCrop(crop, W, H), encodeRle(bitmap));
  });
});
