import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type Box, type ImageLabels, iou, resolvePipeline } from '@delta-augment/core';
import { type DecodedSource, decodeSource, renderVariant } from '@delta-augment/engine';
import { LIMITS, rawOf } from '../engine/helpers.js';
import { type Colour, pixelsOf, scene } from './scene.js';

/** Each geometric operation with parameters strong enough to matter, and whether it keeps axes aligned. */
const GEOMETRIC: { op: string; params: Record<string, unknown>; aligned: boolean }[] = [
  { op: 'rotate', params: { angle: [20, 35], mode: 'fill' }, aligned: false },
  { op: 'rotate', params: { angle: [-12, -5], mode: 'crop' }, aligned: false },
  { op: 'rotate90', params: {}, aligned: true },
  { op: 'rotate180', params: {}, aligned: true },
  { op: 'rotate270', params: {}, aligned: true },
  { op: 'rotateRandom90', params: {}, aligned: true },
  { op: 'flip', params: { direction: 'random' }, aligned: true },
  { op: 'zoom', params: { factor: [1.05, 1.2] }, aligned: true },
  { op: 'zoom', params: { factor: [0.6, 0.9] }, aligned: true },
  { op: 'crop', params: { area: [0.8, 0.95], position: 'centre' }, aligned: true },
  { op: 'crop', params: { area: [0.85, 0.95], position: 'random', resize: true }, aligned: true },
  { op: 'resize', params: { width: 120 }, aligned: true },
  { op: 'scale', params: { factor: [0.5, 1.5] }, aligned: true },
  { op: 'shear', params: { x: [8, 15], y: [-8, 8], mode: 'fill' }, aligned: false },
  { op: 'skew', params: { magnitude: [0.1, 0.25] }, aligned: false },
  { op: 'gridDistort', params: { magnitude: [0.1, 0.2], gridWidth: 4, gridHeight: 4 }, aligned: false },
  { op: 'elasticDistort', params: { magnitude: 0.03, scale: 0.3 }, aligned: false },
];

const COLOUR_OF: Colour[] = ['red', 'green', 'blue'];
const VARIANTS = 4;

const within = (a: Box, b: Box, px: number): boolean =>
  Math.abs(a.x - b.x) <= px &&
  Math.abs(a.y - b.y) <= px &&
  Math.abs(a.x + a.width - (b.x + b.width)) <= px &&
  Math.abs(a.y + a.height - (b.y + b.height)) <= px;

describe('labels follow every geometric operation', () => {
  let source: DecodedSource;
  let labels: ImageLabels;
  before(async () => {
    const made = await scene();
    labels = made.labels;
    source = await decodeSource(made.png, LIMITS);
  });

  for (const { op, params, aligned } of GEOMETRIC) {
    it(`${op} ${JSON.stringify(params)}: every exported box lies on its object's pixels (${aligned ? 'within 1 px' : 'IoU >= 0.9'})`, async () => {
      // Prepare
      const pipeline = resolvePipeline({
        spec: { format: 'png', steps: [{ op, probability: 1, ...params }] },
        seed: 7,
      });
      for (let index = 0; index < VARIANTS; index++) {
        // Act
        const variant = await renderVariant(source, pipeline, index, { labels, minVisibility: 0.25 });
        const image = await rawOf(variant.data);
        // Assess
        const followed = variant.labels;
        assert.ok(followed, 'labels come back');
        assert.equal(followed.labels.width, image.width);
        assert.equal(followed.labels.height, image.height);
        assert.deepEqual(followed.dropped, [], `nothing dropped (${JSON.stringify(variant.operations)})`);
        assert.equal(followed.labels.objects.length, labels.objects.length, 'every object is followed, none lost');
        for (const object of followed.labels.objects) {
          const pixels = pixelsOf(image, COLOUR_OF[object.category] as Colour);
          assert.ok(pixels.box, `${COLOUR_OF[object.category]} object is still visible`);
          const message = `${COLOUR_OF[object.category]}: label ${JSON.stringify(object.box)} vs pixels ${JSON.stringify(pixels.box)} after ${JSON.stringify(variant.operations)}`;
          if (aligned) assert.ok(within(object.box, pixels.box, 1), message);
          else
            assert.ok(iou(object.box, pixels.box) >= 0.9, `${message}: IoU ${iou(object.box, pixels.box).toFixed(3)}`);
          const keypoint = object.keypoints?.[0];
          if (keypoint && aligned) {
            assert.ok(pixels.centre, 'centre');
            assert.ok(
              Math.hypot(keypoint.x - pixels.centre[0], keypoint.y - pixels.centre[1]) < 1,
              `keypoint on the centre: ${message}`,
            );
          }
        }
      }
    });
  }
});

describe('labels are a pure function of the seed', () => {
  it('gives identical labels whatever order and concurrency the variants render in', async () => {
    // Prepare
    const made = await scene();
    const pipeline = resolvePipeline({
      spec: {
        format: 'png',
        steps: [
          { op: 'rotate', angle: [-30, 30], mode: 'fill', probability: 0.7 },
          { op: 'elasticDistort', magnitude: 0.02, scale: 0.3, probability: 0.5 },
          { op: 'crop', area: [0.7, 1], position: 'random', probability: 0.5 },
          { op: 'erase', area: [0.02, 0.1], probability: 0.5 },
        ],
      },
      seed: 99,
    });
    const options = { labels: made.labels, minVisibility: 0.25 };
    const render = async (order: number[], parallel: boolean) => {
      const source = await decodeSource(made.png, LIMITS);
      const results = new Map<number, string>();
      const one = async (i: number) => {
        const variant = await renderVariant(source, pipeline, i, options);
        results.set(i, JSON.stringify(variant.labels));
      };
      if (parallel) await Promise.all(order.map(one));
      else for (const i of order) await one(i);
      return [...results].sort(([a], [b]) => a - b);
    };
    // Act
    const serial = await render([0, 1, 2, 3, 4, 5, 6, 7], false);
    const shuffled = await render([5, 2, 7, 0, 3, 6, 1, 4], true);
    // Assess
    assert.deepEqual(shuffled, serial);
    assert.equal(new Set(serial.map(([, labels]) => labels)).size, 8, 'every variant has its own labels');
  });
});
