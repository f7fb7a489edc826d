import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolvePipeline } from '@delta-augment/core';
import { type DecodedSource, decodeSource, renderVariant } from '@delta-augment/engine';
import sharp from 'sharp';
import { insidePolygon } from '../../packages/engine/src/pixels/weather.js';
import { LIMITS, rawOf } from './helpers.js';

// Each operation against an expectation computed independently of its implementation: sharp's own
// operations, closed-form formulas, or measured geometry and statistics.

interface Image {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

/** An RGB image from a function of (x, y) → [r, g, b]. */
function image(width: number, height: number, fn: (x: number, y: number) => readonly number[]): Image {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r = 0, g = 0, b = 0] = fn(x, y);
      data.set([r, g, b], (y * width + x) * 3);
    }
  }
  return { data, width, height };
}

const png = (img: Image): Promise<Buffer> =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();

const source = async (img: Image): Promise<DecodedSource> => decodeSource(await png(img), LIMITS);

/** Renders one step (PNG out, lossless) and returns the raw pixels and the parameters drawn. */
async function render(img: Image, step: Record<string, unknown>, index = 0) {
  const pipeline = resolvePipeline({ spec: { format: 'png', steps: [step] }, seed: 11 });
  const variant = await renderVariant(await source(img), pipeline, index);
  const raw = await rawOf(variant.data);
  return { ...raw, params: (variant.operations[0]?.params ?? {}) as Record<string, unknown> };
}

/** A 256 × 1 ramp: every byte value once, on all three channels. */
const ramp = image(256, 1, (x) => [x, x, x]);
const grey = (v: number) => image(96, 96, () => [v, v, v]);

function std(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/** Centroid and equivalent radius of the pixels brighter than 127 (channel 0). */
function blob(raw: { data: Buffer; width: number; channels: number }) {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < raw.data.length; i += raw.channels) {
    if ((raw.data[i] as number) > 127) {
      const p = i / raw.channels;
      n += 1;
      sx += (p % raw.width) + 0.5;
      sy += Math.floor(p / raw.width) + 0.5;
    }
  }
  return { x: sx / n, y: sy / n, radius: Math.sqrt(n / Math.PI) };
}

describe('geometric operations, pixel for pixel', () => {
  const photo = image(41, 29, (x, y) => [(x * 7) % 256, (y * 11) % 256, (x * y) % 256]);

  it('flip horizontal equals sharp flop, vertical equals sharp flip', async () => {
    for (const [direction, expected] of [
      ['horizontal', sharp(await png(photo)).flop()],
      ['vertical', sharp(await png(photo)).flip()],
    ] as const) {
      const out = await render(photo, { op: 'flip', direction });
      assert.deepEqual(out.data, await expected.raw().toBuffer(), direction);
    }
  });

  it('a 90° turn is exact (sharp rotate(90)), and four of them give the input back', async () => {
    const out = await render(photo, { op: 'rotate90' });
    assert.deepEqual(
      out.data,
      await sharp(await png(photo))
        .rotate(90)
        .raw()
        .toBuffer(),
    );
    const spec = { format: 'png', steps: [1, 2, 3, 4].map(() => ({ op: 'rotate90' })) };
    const back = await renderVariant(await source(photo), resolvePipeline({ spec, seed: 1 }), 0);
    assert.deepEqual((await rawOf(back.data)).data, photo.data);
  });

  it('rotating a rendered disc keeps its centre (rotated) and radius within 1 px', async () => {
    // Prepare: a disc of radius 20 centred at (70, 50) on a 160 × 120 canvas.
    const disc = image(160, 120, (x, y) =>
      (x + 0.5 - 70) ** 2 + (y + 0.5 - 50) ** 2 <= 400 ? [255, 255, 255] : [0, 0, 0],
    );
    const before = blob(await rawOf(await png(disc)));
    // Act
    const out = await render(disc, { op: 'rotate', angle: 33, mode: 'fill', fill: '#000000' });
    // Assess: the centre turns 33° clockwise about the image centre (80, 60).
    const a = (33 * Math.PI) / 180;
    const ex = 80 + (before.x - 80) * Math.cos(a) - (before.y - 60) * Math.sin(a);
    const ey = 60 + (before.x - 80) * Math.sin(a) + (before.y - 60) * Math.cos(a);
    const after = blob(out);
    assert.ok(Math.hypot(after.x - ex, after.y - ey) < 1, `centre ${after.x},${after.y} vs ${ex},${ey}`);
    assert.ok(Math.abs(after.radius - before.radius) < 1, `radius ${after.radius} vs ${before.radius}`);
  });
});

describe('tone curves', () => {
  it('gamma maps v to round(255 · (v/255)^gamma)', async () => {
    const out = await render(ramp, { op: 'gamma', gamma: 2.2 });
    for (let v = 0; v < 256; v++) assert.equal(out.data[v * 3], Math.round(255 * (v / 255) ** 2.2), `v=${v}`);
  });

  it('posterize keeps 2^bits levels, the top bits of each value', async () => {
    const out = await render(ramp, { op: 'posterize', bits: 3 });
    const levels = new Set<number>();
    for (let v = 0; v < 256; v++) {
      assert.equal(out.data[v * 3], v - (v % 32));
      levels.add(out.data[v * 3] as number);
    }
    assert.equal(levels.size, 8);
  });

  it('solarize inverts exactly the values at or above the threshold', async () => {
    const out = await render(ramp, { op: 'solarize', threshold: 100 });
    for (let v = 0; v < 256; v++) assert.equal(out.data[v * 3], v >= 100 ? 255 - v : v, `v=${v}`);
  });

  it('rgbShift adds its constants per channel, clamped', async () => {
    const out = await render(ramp, { op: 'rgbShift', r: 30, g: -40, b: 0 });
    for (let v = 0; v < 256; v++) {
      assert.deepEqual([...out.data.subarray(v * 3, v * 3 + 3)], [Math.min(255, v + 30), Math.max(0, v - 40), v]);
    }
  });

  it('colourJitter with saturation 0 gives grey, and with only brightness equals the brightness operation', async () => {
    const colourful = image(32, 32, (x, y) => [x * 8, y * 8, 255 - x * 4]);
    const grey0 = await render(colourful, { op: 'colourJitter', brightness: 1, contrast: 1, saturation: 0, hue: 0 });
    for (let i = 0; i < grey0.data.length; i += 3) {
      const [r = 0, g = 0, b = 0] = grey0.data.subarray(i, i + 3);
      assert.ok(Math.max(r, g, b) - Math.min(r, g, b) <= 1, `pixel ${i / 3}: ${r},${g},${b}`);
    }
    const jitter = await render(colourful, { op: 'colourJitter', brightness: 1.3, contrast: 1, saturation: 1, hue: 0 });
    const bright = await render(colourful, { op: 'brightness', factor: 1.3 });
    assert.deepEqual(jitter.data, bright.data);
  });

  it('channelShuffle permutes the channels of every pixel as recorded', async () => {
    const colourful = image(16, 8, (x, y) => [x * 16, y * 30, 200 - x]);
    for (let index = 0; index < 5; index++) {
      const out = await render(colourful, { op: 'channelShuffle' }, index);
      const order = [...String(out.params.order)].map((c) => 'rgb'.indexOf(c));
      assert.notDeepEqual(order, [0, 1, 2]);
      for (let i = 0; i < out.data.length; i += 3) {
        assert.deepEqual(
          [...out.data.subarray(i, i + 3)],
          order.map((c) => colourful.data[i + c]),
        );
      }
    }
  });

  it('CLAHE stretches a low-contrast image and leaves a flat one flat', async () => {
    // Prepare: values 110–140 in a smooth pattern (a known, narrow histogram).
    const dull = image(128, 128, (x, y) => {
      const v = 110 + Math.round(15 + 15 * Math.sin(x / 9) * Math.cos(y / 13));
      return [v, v, v];
    });
    // Act
    const out = await render(dull, { op: 'clahe', tiles: 4, maxSlope: 4 });
    const flat = await render(grey(128), { op: 'clahe', tiles: 4, maxSlope: 4 });
    // Assess: a wider histogram; a flat image has nothing to equalise.
    const channel0 = (d: Buffer) => [...d].filter((_, i) => i % 3 === 0);
    assert.ok(std(channel0(out.data)) > 1.5 * std(channel0(dull.data)), 'contrast grew');
    assert.ok(Math.max(...channel0(flat.data)) - Math.min(...channel0(flat.data)) <= 2, 'flat stays flat');
  });
});

describe('filters', () => {
  it('motionBlur at 0° spreads a point along its row only, over `size` pixels', async () => {
    const dot = image(31, 21, (x, y) => (x === 15 && y === 10 ? [255, 255, 255] : [0, 0, 0]));
    const out = await render(dot, { op: 'motionBlur', size: 7, angle: 0 });
    for (let y = 0; y < 21; y++) {
      for (let x = 0; x < 31; x++) {
        const v = out.data[(y * 31 + x) * 3] as number;
        const onLine = y === 10 && Math.abs(x - 15) <= 3;
        if (onLine) assert.ok(v > 0, `(${x},${y}) is on the line`);
        else assert.equal(v, 0, `(${x},${y}) is off the line`);
      }
    }
  });

  it('medianBlur removes an isolated speck and keeps a straight edge', async () => {
    const img = image(30, 20, (x, y) =>
      x === 5 && y === 5 ? [255, 255, 255] : x >= 15 ? [200, 200, 200] : [20, 20, 20],
    );
    const out = await render(img, { op: 'medianBlur', size: 3 });
    assert.equal(out.data[(5 * 30 + 5) * 3], 20);
    for (let y = 0; y < 20; y++) {
      assert.equal(out.data[(y * 30 + 14) * 3], 20);
      assert.equal(out.data[(y * 30 + 15) * 3], 200);
    }
  });

  it('noise has the requested standard deviation within 5 %', async () => {
    const out = await render(grey(128), { op: 'noise', sigma: 12 });
    const deltas = [...out.data].map((v) => v - 128);
    assert.ok(Math.abs(std(deltas) - 12) < 0.6, `std ${std(deltas)}`);
  });

  it('isoNoise: per-channel std √(l² + c²) and shared luminance part, within 5 %', async () => {
    const out = await render(grey(128), { op: 'isoNoise', luminance: 8, colour: 4 });
    const deltas = [...out.data].map((v) => v - 128);
    const expected = Math.sqrt(64 + 16);
    assert.ok(Math.abs(std(deltas) - expected) < 0.05 * expected, `std ${std(deltas)}`);
    // The mean of a pixel's three channels keeps the luminance part whole and a third of the colour variance.
    const means: number[] = [];
    for (let i = 0; i < deltas.length; i += 3)
      means.push(((deltas[i] ?? 0) + (deltas[i + 1] ?? 0) + (deltas[i + 2] ?? 0)) / 3);
    const shared = Math.sqrt(64 + 16 / 3);
    assert.ok(Math.abs(std(means) - shared) < 0.05 * shared, `luminance std ${std(means)}`);
  });

  it('downscale by 0.5 with nearest enlargement leaves uniform 2 × 2 blocks', async () => {
    const busy = image(64, 48, (x, y) => [(x * 37 + y * 91) % 256, (x * 13) % 256, (y * 29) % 256]);
    const out = await render(busy, { op: 'downscale', factor: 0.5, interpolation: 'nearest' });
    assert.deepEqual([out.width, out.height], [64, 48]);
    for (let y = 0; y < 48; y += 2) {
      for (let x = 0; x < 64; x += 2) {
        const at = (dx: number, dy: number) => [
          ...out.data.subarray(((y + dy) * 64 + x + dx) * 3, ((y + dy) * 64 + x + dx) * 3 + 3),
        ];
        assert.deepEqual(at(1, 0), at(0, 0));
        assert.deepEqual(at(0, 1), at(0, 0));
        assert.deepEqual(at(1, 1), at(0, 0));
      }
    }
  });
});

describe('occlusion', () => {
  const bright = image(80, 60, () => [200, 150, 100]);

  it('coarseDropout blacks out exactly the recorded holes', async () => {
    const out = await render(bright, { op: 'coarseDropout', holes: 3, size: 0.1 });
    const holes = out.params.holes as { left: number; top: number; width: number; height: number }[];
    assert.equal(holes.length, 3);
    const inHole = (x: number, y: number) =>
      holes.some((h) => x >= h.left && x < h.left + h.width && y >= h.top && y < h.top + h.height);
    for (let y = 0; y < 60; y++) {
      for (let x = 0; x < 80; x++) {
        const px = [...out.data.subarray((y * 80 + x) * 3, (y * 80 + x) * 3 + 3)];
        assert.deepEqual(px, inHole(x, y) ? [0, 0, 0] : [200, 150, 100]);
      }
    }
  });

  it('gridDropout removes ratio² of each full cell', async () => {
    const big = image(200, 200, () => [200, 150, 100]);
    const out = await render(big, { op: 'gridDropout', cells: 5, ratio: 0.5 });
    assert.equal(out.params.cell, 40);
    assert.equal(out.params.hole, 20);
    let black = 0;
    for (let i = 0; i < out.data.length; i += 3) if (out.data[i] === 0) black += 1;
    // Cells cut by the image border hold part of a hole: the share stays near 0.25.
    assert.ok(Math.abs(black / (200 * 200) - 0.25) < 0.05, `share ${black / 40000}`);
  });
});

describe('weather', () => {
  const mid = image(120, 90, () => [100, 120, 140]);

  it('fog moves every pixel towards the fog colour by between half the density and the density', async () => {
    const out = await render(mid, { op: 'fog', density: 0.6, colour: '#ffffff' });
    for (let i = 0; i < out.data.length; i += 3) {
      const a = ((out.data[i] as number) - 100) / (255 - 100);
      assert.ok(a >= 0.3 - 0.01 && a <= 0.6 + 0.01, `alpha ${a}`);
    }
  });

  it('rain darkens by `brightness` everywhere but the streaks', async () => {
    const out = await render(mid, { op: 'rain', drops: 30, length: 0.1, slant: 0, brightness: 0.5 });
    let streak = 0;
    for (let i = 0; i < out.data.length; i += 3) {
      const px = [...out.data.subarray(i, i + 3)];
      if (px[0] === 50 && px[1] === 60 && px[2] === 70) continue;
      streak += 1;
      assert.ok((px[0] as number) > 50, 'a streak is lighter than the darkened image');
    }
    assert.ok(streak > 0 && streak <= 30 * 9, `${streak} streak pixels`);
  });

  it('snow only lightens, and only where flakes fall', async () => {
    const out = await render(mid, { op: 'snow', flakes: 20, radius: 2 });
    let changed = 0;
    for (let i = 0; i < out.data.length; i++) {
      assert.ok((out.data[i] as number) >= (mid.data[i] as number));
      if (out.data[i] !== mid.data[i]) changed += 1;
    }
    assert.ok(changed > 0 && changed <= 20 * 3 * Math.ceil(Math.PI * 2.5 * 2.5 + 4) * 3);
  });

  it('sunFlare brightens its centre by `intensity` and nothing beyond its radius', async () => {
    const out = await render(mid, { op: 'sunFlare', radius: 0.2, intensity: 0.8 });
    const { x, y, radius } = out.params as { x: number; y: number; radius: number };
    for (let py = 0; py < 90; py++) {
      for (let px = 0; px < 120; px++) {
        const i = (py * 120 + px) * 3;
        if (Math.hypot(px + 0.5 - x, py + 0.5 - y) >= radius) assert.equal(out.data[i], 100);
      }
    }
    const centre = (Math.min(89, Math.floor(y)) * 120 + Math.min(119, Math.floor(x))) * 3;
    assert.ok(Math.abs((out.data[centre] as number) - (100 + 155 * 0.8)) <= 12, `centre ${out.data[centre]}`);
  });

  it('shadow multiplies by 1 - intensity exactly inside the recorded polygon', async () => {
    const out = await render(mid, { op: 'shadow', intensity: 0.5, size: 0.4 });
    const polygon = out.params.polygon as [number, number][];
    let inside = 0;
    for (let py = 0; py < 90; py++) {
      for (let px = 0; px < 120; px++) {
        const i = (py * 120 + px) * 3;
        const isIn = insidePolygon(polygon, px + 0.5, py + 0.5);
        if (isIn) inside += 1;
        assert.deepEqual([...out.data.subarray(i, i + 3)], isIn ? [50, 60, 70] : [100, 120, 140]);
      }
    }
    assert.ok(inside > 0);
  });
});

describe('oneOf weights', () => {
  it('never picks a branch of weight 0', async () => {
    const img = await source(grey(100));
    const spec = { format: 'png', steps: [{ oneOf: [{ op: 'invert' }, { op: 'gamma', gamma: 2 }], weights: [0, 3] }] };
    const pipeline = resolvePipeline({ spec, seed: 3 });
    for (let i = 0; i < 20; i++) assert.equal((await renderVariant(img, pipeline, i)).operations[0]?.op, 'gamma');
  });
});
