// biome-ignore-all lint/style/noNonNullAssertion: indexing typed arrays at positions the test set up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { erase } from '../../packages/engine/src/pixels/erase.js';
import { addNoise } from '../../packages/engine/src/pixels/noise.js';
import {
  applyColourMatrix,
  applyLut,
  brightnessLut,
  composeLuts,
  contrastLut,
  equalise,
  hueMatrix,
  invertLut,
  saturationMatrix,
  threshold,
} from '../../packages/engine/src/pixels/point.js';
import type { RawImage } from '../../packages/engine/src/types.js';
import { patternPixels } from './helpers.js';

const image = (channels: 3 | 4 = 3): RawImage => ({
  data: patternPixels(64, 48, channels),
  width: 64,
  height: 48,
  channels,
});
const pixel = (img: RawImage, x: number, y: number): number[] => {
  const o = (y * img.width + x) * img.channels;
  return [...img.data.subarray(o, o + img.channels)];
};

describe('per-channel tables', () => {
  it('brightens by multiplying and clamps at 255', () => {
    const table = brightnessLut(2);
    assert.equal(table[50], 100);
    assert.equal(table[200], 255);
  });

  it('stretches contrast about 128', () => {
    const table = contrastLut(2);
    assert.equal(table[128], 128);
    assert.equal(table[138], 148);
    assert.equal(table[0], 0);
  });

  it('inverts, and inverting twice is the identity', () => {
    const twice = composeLuts(invertLut(), invertLut());
    assert.equal(invertLut()[0], 255);
    assert.deepEqual(
      [...twice],
      Array.from({ length: 256 }, (_, v) => v),
    );
  });

  it('clamps between composed steps as running them one by one would', () => {
    const composed = composeLuts(brightnessLut(2), brightnessLut(0.5));
    assert.equal(composed[200], 128);
  });

  it('leaves alpha alone and does not write into a buffer it does not own', () => {
    const src = image(4);
    const before = Buffer.from(src.data);
    const out = applyLut(src, invertLut(), false);
    assert.deepEqual(src.data, before);
    const [r, g, b, a] = pixel(src, 40, 10);
    assert.deepEqual(pixel(out, 40, 10), [255 - r!, 255 - g!, 255 - b!, a]);
  });
});

describe('colour matrices', () => {
  it('makes grey with saturation 0', () => {
    const out = applyColourMatrix(image(), saturationMatrix(0), false);
    const [r, g, b] = pixel(out, 12, 8);
    assert.equal(r, g);
    assert.equal(g, b);
  });

  it('changes nothing with saturation 1 or a hue shift of 0', () => {
    const src = image();
    assert.deepEqual(applyColourMatrix(src, saturationMatrix(1), false).data, src.data);
    const shifted = applyColourMatrix(src, hueMatrix(0), false);
    for (let i = 0; i < src.data.length; i++) assert.ok(Math.abs(shifted.data[i]! - src.data[i]!) <= 1);
  });

  it('moves colours round the wheel with a hue shift', () => {
    const out = applyColourMatrix(image(), hueMatrix(120), false);
    const [r, g] = pixel(out, 12, 8);
    // The square is yellow-ish (230, 220, 30); a third of a turn makes it blue-ish/cyan, far from red.
    assert.ok(r! < 150, `red ${r}`);
    assert.ok(g! > 0);
  });
});

describe('threshold', () => {
  it('leaves only black and white', () => {
    const out = threshold(image(), 128, false);
    for (let i = 0; i < out.data.length; i++) assert.ok(out.data[i] === 0 || out.data[i] === 255);
    assert.deepEqual(pixel(out, 12, 8), [255, 255, 255]);
    assert.deepEqual(pixel(out, 0, 0), [0, 0, 0]);
  });
});

describe('histogram equalisation', () => {
  it('spreads each channel over the full range', () => {
    const out = equalise(image(), false);
    for (let c = 0; c < 3; c++) {
      let lo = 255;
      let hi = 0;
      for (let i = c; i < out.data.length; i += 3) {
        lo = Math.min(lo, out.data[i]!);
        hi = Math.max(hi, out.data[i]!);
      }
      assert.equal(lo, 0);
      assert.equal(hi, 255);
    }
  });
});

describe('noise', () => {
  it('is reproducible from its seed and has about the asked deviation', () => {
    const flat: RawImage = { data: Buffer.alloc(64 * 48 * 3, 128), width: 64, height: 48, channels: 3 };
    const a = addNoise(flat, 10, false, 99, false);
    const b = addNoise(flat, 10, false, 99, false);
    assert.deepEqual(a.data, b.data);
    const values = [...a.data].map((v) => v - 128);
    const sd = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    assert.ok(sd > 9 && sd < 11, `sd ${sd}`);
  });

  it('adds the same value to every channel when mono', () => {
    const flat: RawImage = { data: Buffer.alloc(16 * 3, 128), width: 4, height: 4, channels: 3 };
    const out = addNoise(flat, 20, true, 1, false);
    for (let i = 0; i < out.data.length; i += 3) {
      assert.equal(out.data[i], out.data[i + 1]);
      assert.equal(out.data[i], out.data[i + 2]);
    }
  });
});

describe('erasing', () => {
  it('paints the rectangle and nothing else', () => {
    const src = image();
    const out = erase(src, [{ left: 10, top: 5, width: 4, height: 3, fill: [1, 2, 3, 255] }], false);
    assert.deepEqual(pixel(out, 10, 5), [1, 2, 3]);
    assert.deepEqual(pixel(out, 13, 7), [1, 2, 3]);
    assert.deepEqual(pixel(out, 14, 7), pixel(src, 14, 7));
    assert.deepEqual(pixel(out, 10, 8), pixel(src, 10, 8));
  });
});
