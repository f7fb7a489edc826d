import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { OPERATION_NAMES, resolvePipeline } from '@delta-augment/core';
import { type DecodedSource, decodeSource, type RenderedVariant, renderVariant } from '@delta-augment/engine';
import sharp from 'sharp';
import { LIMITS, patternPng, rawOf } from './helpers.js';

/** Parameters that make each operation's effect certain to show on the 64×48 test pattern. */
const VISIBLE: Record<string, Record<string, unknown>> = {
  rotate: { angle: [10, 20] },
  flip: { direction: 'random' },
  zoom: { factor: [1.2, 1.5] },
  resize: { width: 32 },
  scale: { factor: [0.5, 0.8] },
  shear: { x: [8, 15] },
  skew: { magnitude: [0.2, 0.3] },
  gridDistort: { magnitude: [0.15, 0.3] },
  elasticDistort: { magnitude: 0.05, scale: 0.3 },
  brightness: { factor: [0.5, 0.7] },
  contrast: { factor: [1.5, 2] },
  saturation: { factor: [0, 0.3] },
  hue: { degrees: [30, 60] },
  noise: { sigma: [10, 20] },
  blur: { sigma: [1, 2] },
  sharpen: { sigma: [1, 2] },
  jpeg: { quality: [10, 20] },
  erase: { area: [0.1, 0.2] },
  bboxSafeCrop: { margin: [0.5, 1] },
  randomResizedCrop: { area: [0.3, 0.6] },
};

/** The size an operation should produce on a 64×48 image, from the parameters it drew. */
function expectedSize(op: string, params: Record<string, unknown>): [number, number] {
  switch (op) {
    case 'rotate90':
    case 'rotate270':
      return [48, 64];
    case 'rotateRandom90':
      return params.angle === 180 ? [64, 48] : [48, 64];
    case 'crop':
    case 'bboxSafeCrop':
    case 'resize':
    case 'scale':
      return [params.width as number, params.height as number];
    default:
      return [64, 48];
  }
}

const pipelineFor = (op: string, probability: number, seed = 11) =>
  resolvePipeline({ spec: { format: 'png', steps: [{ op, probability, ...VISIBLE[op] }] }, seed });

describe('every operation, rendered on a 64×48 image', () => {
  let source: DecodedSource;
  let untouched: RenderedVariant;

  before(async () => {
    source = await decodeSource(await patternPng(), LIMITS);
    untouched = await renderVariant(source, resolvePipeline({ spec: { format: 'png', steps: [] }, seed: 11 }), 0);
  });

  for (const op of OPERATION_NAMES) {
    describe(`the ${op} operation`, () => {
      describe('when its probability is 1', () => {
        it('is applied, recorded, and writes the expected size and format', async () => {
          // Act
          const variant = await renderVariant(source, pipelineFor(op, 1), 0);
          // Assess
          assert.equal(variant.operations.length, 1);
          const applied = variant.operations[0];
          assert.equal(applied?.op, op);
          const [width, height] = expectedSize(op, applied?.params ?? {});
          assert.deepEqual([variant.width, variant.height], [width, height]);
          const metadata = await sharp(variant.data).metadata();
          assert.deepEqual([metadata.format, metadata.width, metadata.height], ['png', width, height]);
          assert.equal(variant.contentType, 'image/png');
          const pixels = await rawOf(variant.data);
          const before = await rawOf(untouched.data);
          const same =
            pixels.width === before.width && pixels.height === before.height && pixels.data.equals(before.data);
          // copyPaste pastes objects: an image without labels (and no other image) has none to paste.
          assert.equal(same, op === 'copyPaste', `${op} ${same ? 'left the pixels unchanged' : 'changed the pixels'}`);
        });
      });

      describe('when its probability is 0', () => {
        it('leaves the image exactly as it was and records nothing', async () => {
          const variant = await renderVariant(source, pipelineFor(op, 0), 0);
          assert.deepEqual(variant.operations, []);
          assert.ok(variant.data.equals(untouched.data));
        });
      });

      describe('when the same variant is rendered twice', () => {
        it('gives byte-identical output', async () => {
          const first = await renderVariant(source, pipelineFor(op, 1), 3);
          const second = await renderVariant(source, pipelineFor(op, 1), 3);
          assert.ok(first.data.equals(second.data));
          assert.deepEqual(first.operations, second.operations);
        });
      });
    });
  }
});

describe('chains of operations', () => {
  let source: DecodedSource;
  before(async () => {
    source = await decodeSource(await patternPng(), LIMITS);
  });

  describe('when geometric, colour, filter and pixel steps are mixed', () => {
    it('renders them in order, to the size of the last geometric step', async () => {
      const spec = {
        format: 'png',
        steps: [
          { op: 'blur', sigma: 1 },
          { op: 'rotate', angle: 10 },
          { op: 'brightness', factor: 1.2 },
          { op: 'rotate90' },
          { op: 'sharpen', sigma: 1 },
          { op: 'noise', sigma: 5 },
          { op: 'crop', width: 30, height: 20 },
          { op: 'contrast', factor: 1.1 },
          { op: 'jpeg', quality: 50 },
          { op: 'flip' },
          { op: 'blur', sigma: 0.5 },
        ],
      };
      const variant = await renderVariant(source, resolvePipeline({ spec, seed: 1 }), 0);
      assert.deepEqual(
        variant.operations.map((o) => o.op),
        spec.steps.map((s) => s.op),
      );
      assert.deepEqual([variant.width, variant.height], [30, 20]);
    });
  });

  describe('when steps only move whole pixels', () => {
    it('moves each pixel exactly where a quarter turn, a flip and a crop put it', async () => {
      // Prepare
      const spec = {
        format: 'png',
        steps: [
          { op: 'rotate90' },
          { op: 'flip', direction: 'vertical' },
          { op: 'crop', width: 40, height: 30, position: 'centre' },
        ],
      };
      const original = await rawOf(await patternPng());
      // Act
      const variant = await renderVariant(source, resolvePipeline({ spec, seed: 1 }), 0);
      // Assess: rotate90 maps (x, y) to (47 - y, x) on 48×64; the flip maps that row r to 63 - r; the
      // centred crop then starts at (4, 17).
      const out = await rawOf(variant.data);
      assert.deepEqual([out.width, out.height], [40, 30]);
      for (const [x, y] of [
        [0, 0],
        [39, 29],
        [17, 5],
      ] as const) {
        const rx = x + 4;
        const ry = 63 - (y + 17);
        const [sx, sy] = [ry, 47 - rx];
        const o = (y * 40 + x) * 3;
        const i = (sy * 64 + sx) * 3;
        assert.deepEqual([...out.data.subarray(o, o + 3)], [...original.data.subarray(i, i + 3)], `pixel ${x},${y}`);
      }
    });
  });

  describe('when a step shrinks the image by more than half', () => {
    it('filters before warping, so the average colour survives', async () => {
      const spec = { format: 'png', steps: [{ op: 'scale', factor: 0.25 }] };
      const variant = await renderVariant(source, resolvePipeline({ spec, seed: 1 }), 0);
      const out = await rawOf(variant.data);
      const original = await rawOf(await patternPng());
      assert.deepEqual([out.width, out.height], [16, 12]);
      const mean = (data: Buffer, c: number) => {
        let sum = 0;
        for (let i = c; i < data.length; i += 3) sum += data[i] ?? 0;
        return sum / (data.length / 3);
      };
      for (let c = 0; c < 3; c++) assert.ok(Math.abs(mean(out.data, c) - mean(original.data, c)) < 4, `channel ${c}`);
    });
  });

  describe('when a rotation in fill mode runs on an image with alpha', () => {
    it('keeps the alpha channel and makes the uncovered corners transparent', async () => {
      const withAlpha = await decodeSource(await patternPng(64, 48, 4), LIMITS);
      const spec = { steps: [{ op: 'rotate', angle: 30, mode: 'fill' }] };
      const variant = await renderVariant(withAlpha, resolvePipeline({ spec, seed: 1 }), 0);
      assert.equal(variant.format, 'png');
      const pixels = await rawOf(variant.data);
      assert.equal(pixels.channels, 4);
      assert.equal(pixels.data[3], 0, 'top-left corner is transparent');
      const centre = (24 * 64 + 20) * 4;
      assert.equal(pixels.data[centre + 3], 255);
    });
  });
});
