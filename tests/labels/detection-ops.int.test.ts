import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type Box, type ImageLabels, iou, resolvePipeline, rleArea } from '@delta-augment/core';
import { type DecodedSource, decodeSource, type RenderedVariant, renderVariant } from '@delta-augment/engine';
import { LIMITS, rawOf } from '../engine/helpers.js';
import { type Colour, pixelsOf, scene } from './scene.js';

const COLOUR_OF: Colour[] = ['red', 'green', 'blue'];
const VARIANTS = 6;

const within = (a: Box, b: Box, px: number): boolean =>
  Math.abs(a.x - b.x) <= px &&
  Math.abs(a.y - b.y) <= px &&
  Math.abs(a.x + a.width - (b.x + b.width)) <= px &&
  Math.abs(a.y + a.height - (b.y + b.height)) <= px;

type Raw = Awaited<ReturnType<typeof rawOf>>;

const render = async (source: DecodedSource, labels: ImageLabels, step: Record<string, unknown>, index: number) => {
  const pipeline = resolvePipeline({ spec: { format: 'png', steps: [{ probability: 1, ...step }] }, seed: 5 });
  const variant = await renderVariant(source, pipeline, index, { labels, minVisibility: 0.25 });
  return { variant, image: await rawOf(variant.data) };
};

/** Every kept box against its object's pixels: within `px` (axis-aligned ops), or IoU >= 0.9 for the polygon. */
const assertOnPixels = (variant: RenderedVariant, image: Raw, px: number): void => {
  const followed = variant.labels;
  assert.ok(followed);
  assert.equal(followed.labels.width, image.width);
  assert.equal(followed.labels.height, image.height);
  for (const object of followed.labels.objects) {
    const colour = COLOUR_OF[object.category] as Colour;
    const pixels = pixelsOf(image, colour);
    assert.ok(pixels.box, `${colour} is visible`);
    const message = `${colour}: label ${JSON.stringify(object.box)} vs pixels ${JSON.stringify(pixels.box)} after ${JSON.stringify(variant.operations)}`;
    assert.ok(within(object.box, pixels.box, px), message);
  }
};

/**
 * The box of the colour's pixels near `box` (grown by 2 px) and `within` a region (the whole image by
 * default): other objects of that colour elsewhere are not seen.
 */
const pixelsNear = (image: Raw, box: Box, colour: Colour, within?: Box): Box | undefined => {
  const area = within ?? { x: 0, y: 0, width: image.width, height: image.height };
  const x0 = Math.max(area.x, Math.floor(box.x) - 2);
  const y0 = Math.max(area.y, Math.floor(box.y) - 2);
  const x1 = Math.min(area.x + area.width, Math.ceil(box.x + box.width) + 2);
  const y1 = Math.min(area.y + area.height, Math.ceil(box.y + box.height) + 2);
  const data = Buffer.alloc((x1 - x0) * (y1 - y0) * image.channels);
  for (let y = y0; y < y1; y++) {
    image.data.copy(
      data,
      (y - y0) * (x1 - x0) * image.channels,
      (y * image.width + x0) * image.channels,
      (y * image.width + x1) * image.channels,
    );
  }
  const found = pixelsOf({ data, width: x1 - x0, height: y1 - y0, channels: image.channels }, colour).box;
  return found && { x: found.x + x0, y: found.y + y0, width: found.width, height: found.height };
};

const rectsOf = (variant: RenderedVariant): Box[] =>
  ((variant.operations[0]?.params.rects ?? []) as { left: number; top: number; width: number; height: number }[]).map(
    (r) => ({ x: r.left, y: r.top, width: r.width, height: r.height }),
  );

describe('detection operations', () => {
  let source: DecodedSource;
  let labels: ImageLabels;
  before(async () => {
    const made = await scene();
    labels = made.labels;
    source = await decodeSource(made.png, LIMITS);
  });

  it('bboxSafeCrop crops, and every object keeps its whole box on its pixels', async () => {
    let cropped = 0;
    for (let index = 0; index < VARIANTS; index++) {
      // Act
      const { variant, image } = await render(source, labels, { op: 'bboxSafeCrop' }, index);
      // Assess
      if (image.width < 200 || image.height < 150) cropped++;
      assert.deepEqual(variant.labels?.dropped, []);
      assert.equal(variant.labels?.labels.objects.length, 3);
      variant.labels?.labels.objects.forEach((object, k) => {
        const before = labels.objects[k]?.box as Box;
        assert.ok(Math.abs(object.box.width - before.width) < 1e-6, 'width kept');
        assert.ok(Math.abs(object.box.height - before.height) < 1e-6, 'height kept');
      });
      assertOnPixels(variant, image, 1);
    }
    assert.ok(cropped >= VARIANTS - 1, `${cropped} of ${VARIANTS} cropped`);
  });

  it('bboxSafeCrop with resize keeps the size and scales the boxes with the pixels', async () => {
    for (let index = 0; index < VARIANTS; index++) {
      const { variant, image } = await render(source, labels, { op: 'bboxSafeCrop', resize: true }, index);
      assert.equal(image.width, 200);
      assert.equal(image.height, 150);
      assert.deepEqual(variant.labels?.dropped, []);
      assertOnPixels(variant, image, 1.5);
    }
  });

  it('randomResizedCrop gives the asked size, keeps an object at least minVisibility visible, boxes on pixels', async () => {
    for (let index = 0; index < VARIANTS * 2; index++) {
      // Act: small regions, so that many draws miss every object
      const { variant, image } = await render(
        source,
        labels,
        { op: 'randomResizedCrop', area: [0.05, 0.15], width: 96, height: 80 },
        index,
      );
      // Assess
      assert.equal(image.width, 96);
      assert.equal(image.height, 80);
      const followed = variant.labels;
      assert.ok(followed);
      assert.ok(followed.labels.objects.length >= 1, `an object is kept: ${JSON.stringify(variant.operations)}`);
      for (const dropped of followed.dropped) assert.match(dropped.reason, /visible|outside/);
      assertOnPixels(variant, image, 2);
    }
  });

  it('objectCutout avoid: the holes are painted and cover no object, whose labels stay as they were', async () => {
    for (let index = 0; index < VARIANTS; index++) {
      // Act
      const { variant, image } = await render(
        source,
        labels,
        { op: 'objectCutout', mode: 'avoid', holes: [3, 6] },
        index,
      );
      // Assess
      const rects = rectsOf(variant);
      assert.ok(rects.length >= 1, 'holes were placed');
      for (const r of rects) {
        for (const object of labels.objects) assert.equal(iou(r, object.box), 0, `${JSON.stringify(r)} misses objects`);
        const o = ((r.y + Math.floor(r.height / 2)) * image.width + r.x + Math.floor(r.width / 2)) * image.channels;
        assert.deepEqual([...image.data.subarray(o, o + 3)], [0, 0, 0], 'hole painted black');
      }
      assert.deepEqual(variant.labels?.dropped, []);
      assert.deepEqual(
        variant.labels?.labels.objects.map((o) => o.box),
        labels.objects.map((o) => o.box),
      );
    }
  });

  it('objectCutout target: holes lie on objects, boxes shrink to what is left, heavily covered objects are dropped', async () => {
    let shrunk = 0;
    for (let index = 0; index < VARIANTS; index++) {
      // Act
      const { variant, image } = await render(
        source,
        labels,
        { op: 'objectCutout', mode: 'target', holes: [2, 4], size: [0.5, 1] },
        index,
      );
      // Assess: every hole is inside some object's box
      for (const r of rectsOf(variant)) {
        assert.ok(
          labels.objects.some(
            (o) =>
              r.x >= Math.floor(o.box.x) &&
              r.y >= Math.floor(o.box.y) &&
              r.x + r.width <= Math.ceil(o.box.x + o.box.width) &&
              r.y + r.height <= Math.ceil(o.box.y + o.box.height),
          ),
          `${JSON.stringify(r)} on an object`,
        );
      }
      const followed = variant.labels;
      assert.ok(followed);
      for (const object of followed.labels.objects) {
        const colour = COLOUR_OF[object.category] as Colour;
        const pixels = pixelsOf(image, colour);
        assert.ok(pixels.box, `${colour} kept, so visible`);
        if (object.mask) {
          // The mask lost exactly the covered pixels.
          const area = rleArea(object.mask);
          assert.ok(Math.abs(area - pixels.count) <= 2, `mask ${area} vs ${pixels.count} px`);
          const before = labels.objects[2]?.mask;
          if (before && area < rleArea(before)) shrunk++;
        }
        // Boxes and masks shrink exactly; the polygon's box shrinks to the uncovered part of its box.
        if (colour === 'green')
          assert.ok(iou(object.box, pixels.box) >= 0.8, `${colour} IoU ${iou(object.box, pixels.box)}`);
        else
          assert.ok(
            within(object.box, pixels.box, 1),
            `${colour}: ${JSON.stringify(object.box)} vs ${JSON.stringify(pixels.box)}`,
          );
      }
      for (const dropped of followed.dropped) {
        assert.match(dropped.reason, /visible/);
        const left = pixelsOf(image, COLOUR_OF[dropped.category] as Colour).count;
        const all = pixelsOf(
          await rawOf((await render(source, labels, { op: 'greyscale', probability: 0 }, 0)).variant.data),
          COLOUR_OF[dropped.category] as Colour,
        ).count;
        assert.ok(left < all * 0.3, `dropped ${COLOUR_OF[dropped.category]} has ${left} of ${all} pixels left`);
      }
    }
    assert.ok(shrunk > 0, 'some mask lost pixels');
  });

  it('mosaic merges the labels of four images, each box on its own object, clipped to its quadrant', async () => {
    // Prepare: another image of the job, of another size, with the same kinds of objects.
    const other = await scene(160, 120);
    const partner = { source: await decodeSource(other.png, LIMITS), labels: other.labels, name: 's_other' };
    const partners = { count: 1, load: async () => partner };
    const pipeline = resolvePipeline({ spec: { format: 'png', steps: [{ op: 'mosaic', probability: 1 }] }, seed: 3 });
    let objects = 0;
    for (let index = 0; index < VARIANTS; index++) {
      // Act
      const variant = await renderVariant(source, pipeline, index, { labels, minVisibility: 0.25 }, {}, partners);
      const image = await rawOf(variant.data);
      // Assess
      assert.deepEqual([image.width, image.height], [200, 150]);
      assert.deepEqual(variant.operations[0]?.params.images, ['s_other', 's_other', 's_other']);
      const followed = variant.labels;
      assert.ok(followed);
      objects += followed.labels.objects.length;
      for (const object of followed.labels.objects) {
        const colour = COLOUR_OF[object.category] as Colour;
        const local = pixelsNear(image, object.box, colour);
        assert.ok(local, `${colour} at ${JSON.stringify(object.box)} has pixels`);
        assert.ok(
          within(object.box, local, 1.5),
          `${colour}: label ${JSON.stringify(object.box)} vs pixels ${JSON.stringify(local)} (${JSON.stringify(variant.operations)})`,
        );
      }
      for (const dropped of followed.dropped) assert.match(dropped.reason, /visible|outside/);
    }
    assert.ok(objects > 3 * VARIANTS, `objects of several images were merged (${objects})`);
  });

  it('mosaic clips the objects its tile borders cut to their tile, each on what shows of its pixels there', async () => {
    // Prepare: another image of the job, of another size, with the same kinds of objects
    const other = await scene(160, 120);
    const partner = { source: await decodeSource(other.png, LIMITS), labels: other.labels, name: 's_other' };
    const partners = { count: 1, load: async () => partner };
    const pipeline = resolvePipeline({
      spec: { format: 'png', steps: [{ op: 'mosaic', probability: 1, centre: [0.35, 0.65] }] },
      seed: 12,
    });
    let cut = 0;
    for (let index = 0; index < 12; index++) {
      // Act
      const variant = await renderVariant(source, pipeline, index, { labels, minVisibility: 0.25 }, {}, partners);
      const image = await rawOf(variant.data);
      // Assess: every kept box lies inside one tile, and matches its colour's pixels inside that tile
      const { centreX, centreY } = (variant.operations[0]?.params ?? {}) as { centreX: number; centreY: number };
      const tiles: Box[] = [
        { x: 0, y: 0, width: centreX, height: centreY },
        { x: centreX, y: 0, width: 200 - centreX, height: centreY },
        { x: 0, y: centreY, width: centreX, height: 150 - centreY },
        { x: centreX, y: centreY, width: 200 - centreX, height: 150 - centreY },
      ];
      for (const object of variant.labels?.labels.objects ?? []) {
        const b = object.box;
        const tile = tiles.find(
          (t) =>
            b.x >= t.x - 1e-6 &&
            b.y >= t.y - 1e-6 &&
            b.x + b.width <= t.x + t.width + 1e-6 &&
            b.y + b.height <= t.y + t.height + 1e-6,
        );
        assert.ok(tile, `${JSON.stringify(b)} lies inside one tile (centre ${centreX}, ${centreY})`);
        // The object's pixels within its tile only: the same colour across the border is another object.
        const colour = COLOUR_OF[object.category] as Colour;
        const pixels = pixelsNear(image, b, colour, tile);
        assert.ok(pixels, `${colour} at ${JSON.stringify(b)} has pixels in its tile`);
        assert.ok(
          within(b, pixels, 1.5),
          `${colour}: label ${JSON.stringify(b)} vs pixels in its tile ${JSON.stringify(pixels)}`,
        );
        const touches =
          Math.abs(b.x - tile.x) < 1e-6 ||
          Math.abs(b.y - tile.y) < 1e-6 ||
          Math.abs(b.x + b.width - (tile.x + tile.width)) < 1e-6 ||
          Math.abs(b.y + b.height - (tile.y + tile.height)) < 1e-6;
        // No object of either scene touches its own image's edges except the partner's disc, which its
        // bottom edge cuts: a box on its tile's border was cut there (by the canvas or the image's edge).
        if (touches) cut++;
      }
      for (const dropped of variant.labels?.dropped ?? []) assert.match(dropped.reason, /visible|outside/);
    }
    assert.ok(cut >= 10, `objects cut by the tile borders were checked (${cut})`);
  });

  it('mosaic without other images tiles the image itself, labels included', async () => {
    const pipeline = resolvePipeline({ spec: { format: 'png', steps: [{ op: 'mosaic', probability: 1 }] }, seed: 4 });
    const variant = await renderVariant(source, pipeline, 0, { labels, minVisibility: 0.25 });
    const image = await rawOf(variant.data);
    assert.deepEqual(variant.operations[0]?.params.images, [null, null, null]);
    assert.ok((variant.labels?.labels.objects.length ?? 0) > 3);
    for (const object of variant.labels?.labels.objects ?? []) {
      const local = pixelsNear(image, object.box, COLOUR_OF[object.category] as Colour);
      assert.ok(local && within(object.box, local, 1.5), `${JSON.stringify(object.box)} vs ${JSON.stringify(local)}`);
    }
  });

  it('is a pure function of the seed: the same variant twice gives the same bytes and labels', async () => {
    const steps = [
      { op: 'bboxSafeCrop', resize: true },
      { op: 'randomResizedCrop', area: [0.3, 0.8] },
      { op: 'objectCutout', mode: 'target', fill: 'noise' },
    ];
    for (const step of steps) {
      const a = await render(source, labels, step, 3);
      const b = await render(source, labels, step, 3);
      assert.ok(a.variant.data.equals(b.variant.data), `${step.op}: same bytes`);
      assert.deepEqual(a.variant.labels, b.variant.labels);
      assert.deepEqual(a.variant.operations, b.variant.operations);
    }
  });
});
