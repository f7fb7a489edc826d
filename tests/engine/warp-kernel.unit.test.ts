import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { Fill } from '../../packages/engine/src/effects.js';
import {
  about,
  compose,
  invert,
  type Mat3,
  rotation,
  scale,
  translate,
} from '../../packages/engine/src/geometry/matrix.js';
import { affineRowsJs, warpAffine } from '../../packages/engine/src/geometry/warp.js';
import { giveBuffer } from '../../packages/engine/src/pool.js';
import { Rng } from '../../packages/engine/src/rng.js';
import type { RawImage } from '../../packages/engine/src/types.js';
// @ts-expect-error: a build script in plain JavaScript, without type declarations.
import { compileWat, KERNELS, kernelModule } from '../../scripts/build-wasm.mjs';

function noiseImage(width: number, height: number, channels: 3 | 4, seed: number): RawImage {
  const rng = Rng.fromSeed(seed);
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = rng.int(0, 255);
  return { data, width, height, channels };
}

/** The JS loops' output for the same warp (the reference the kernel must match byte for byte). */
function reference(src: RawImage, inverse: Mat3, width: number, height: number, fill: Fill): Buffer {
  const out = Buffer.alloc(width * height * src.channels);
  affineRowsJs(src, inverse, out, width, height, fill);
  return out;
}

describe('the WebAssembly affine warp', () => {
  for (const channels of [3, 4] as const) {
    it(`matches the JS loops byte for byte on ${channels}-channel images, edges and fill included`, () => {
      // Prepare: random maps about the centre (rotations, zooms in and out, shears, shifts).
      const rng = Rng.fromSeed(channels);
      for (let trial = 0; trial < 25; trial++) {
        const width = rng.int(1, 90);
        const height = rng.int(1, 70);
        const src = noiseImage(width, height, channels, trial);
        const forward = compose(
          translate(rng.uniform(-5, 5), rng.uniform(-5, 5)),
          about(
            compose(scale(rng.uniform(0.4, 2.5), rng.uniform(0.4, 2.5)), rotation(rng.uniform(-3.2, 3.2))),
            width / 2,
            height / 2,
          ),
        );
        const outWidth = rng.int(1, 100);
        const outHeight = rng.int(1, 80);
        const fill: Fill = [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
        const inverse = invert(forward);
        // Act
        const warped = warpAffine(src, inverse, outWidth, outHeight, fill);
        // Assess
        assert.ok(warped !== undefined);
        assert.deepEqual(
          Buffer.from(warped.data),
          reference(src, inverse, outWidth, outHeight, fill),
          `trial ${trial}`,
        );
      }
    });
  }

  for (const channels of [3, 4] as const) {
    it(`matches the JS loops on ${channels}-channel images whose rows are long runs of inner pixels (zero, negative and tiny steps)`, () => {
      // Prepare: maps whose steps are zero along an axis (shifts, zooms), negative (mirrors), or whose
      // rows graze the source's edge: each row's run of inner pixels must be found exactly.
      const width = 203;
      const height = 151;
      const src = noiseImage(width, height, channels, 7);
      const maps: Mat3[] = [
        translate(0.3, -0.2),
        translate(-7.5, 3.25),
        about(scale(1.13, 1.13), width / 2, height / 2),
        about(scale(0.77, 1.4), width / 2, height / 2),
        about(scale(-1, 1), width / 2, height / 2),
        about(scale(1, -1.2), width / 2, height / 2),
        about(rotation(Math.PI / 2), width / 2, height / 2),
        about(rotation(1e-7), width / 2, height / 2),
        about(rotation(-0.35), width / 2, height / 2),
        compose(translate(width, 0), scale(-1, 1)),
        about(compose(scale(1.2, 1.2), rotation(0.2)), width / 2, height / 2),
      ];
      for (const [i, forward] of maps.entries()) {
        const inverse = invert(forward);
        for (const [outWidth, outHeight] of [
          [width, height],
          [width - 3, height + 2],
          [5, 9],
        ] as const) {
          // Act
          const warped = warpAffine(src, inverse, outWidth, outHeight, [9, 8, 7, 6]);
          // Assess
          assert.ok(warped !== undefined);
          assert.ok(
            Buffer.from(warped.data).equals(reference(src, inverse, outWidth, outHeight, [9, 8, 7, 6])),
            `map ${i}, ${outWidth}x${outHeight}`,
          );
        }
      }
    });
  }

  it('renders successive sources correctly (no stale copy of an earlier source)', () => {
    // Prepare: two sources of the same size, warped alternately.
    const first = noiseImage(40, 30, 3, 1);
    const second = noiseImage(40, 30, 3, 2);
    const inverse = invert(about(rotation(0.3), 20, 15));
    // Act + Assess
    for (const src of [first, second, first]) {
      const warped = warpAffine(src, inverse, 40, 30, [0, 0, 0, 255]);
      assert.deepEqual(Buffer.from(warped?.data ?? []), reference(src, inverse, 40, 30, [0, 0, 0, 255]));
    }
  });

  it('keeps sources apart when the warps of several interleave, and copies a source again once its buffer is reused', () => {
    // Prepare: four sources (more than the kernel keeps at once), two of them the same size, warped in turns;
    // then one source's buffer goes back to the pool and is written over, as a reused buffer would be.
    const sources = [
      noiseImage(40, 30, 3, 11),
      noiseImage(40, 30, 3, 12),
      noiseImage(64, 48, 3, 13),
      noiseImage(33, 21, 4, 14),
    ];
    const inverse = invert(about(compose(scale(1.1, 1.1), rotation(0.25)), 20, 15));
    const fill: Fill = [1, 2, 3, 255];
    // Act + Assess
    for (const order of [
      [0, 1, 0, 1, 2, 0, 3, 1, 2, 3, 0],
      [3, 2, 1, 0, 0, 1, 2, 3],
    ]) {
      for (const i of order) {
        const src = sources[i] as RawImage;
        const warped = warpAffine(src, inverse, 37, 29, fill);
        assert.ok(Buffer.from(warped?.data ?? []).equals(reference(src, inverse, 37, 29, fill)), `source ${i}`);
      }
    }
    const reused = sources[1] as RawImage;
    warpAffine(reused, inverse, 37, 29, fill);
    giveBuffer(reused.data as Buffer);
    (reused.data as Buffer).fill(200, 0, 600);
    const warped = warpAffine(reused, inverse, 37, 29, fill);
    assert.ok(Buffer.from(warped?.data ?? []).equals(reference(reused, inverse, 37, 29, fill)), 'the reused buffer');
  });

  it('is the committed build of warp.wat', async () => {
    // Prepare
    const [wat] = KERNELS as string[];
    // Act
    const rebuilt = kernelModule(wat, await compileWat(wat));
    // Assess: `npm run build:wasm` regenerates the module when the .wat changes.
    assert.equal(readFileSync((wat as string).replace(/\.wat$/, '-kernel.ts'), 'utf8'), rebuilt);
  });
});
