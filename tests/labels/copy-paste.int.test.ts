import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  type Box,
  decodeRle,
  encodeRle,
  type ImageLabels,
  iou,
  type LabelObject,
  type Point,
  resolvePipeline,
} from '@delta-augment/core';
import { type DecodedSource, decodeSource, type Partners, renderVariant } from '@delta-augment/engine';
import sharp from 'sharp';
import { LIMITS, rawOf } from '../engine/helpers.js';
import { inPolygon, scene } from './scene.js';

type Raw = Awaited<ReturnType<typeof rawOf>>;
type Rgb = readonly [number, number, number];

/** The colour each category is painted in, in both images. */
const PAINT: Record<number, Rgb> = {
  0: [255, 0, 0],
  1: [0, 255, 0],
  2: [0, 0, 255],
  3: [255, 255, 0],
  4: [255, 0, 255],
  5: [0, 255, 255],
};

/**
 * The image objects are pasted from, 160×120 on dark grey: a yellow hexagon (category 3, polygon), a
 * magenta disc (category 4, RLE mask) and a cyan box labelled by its box only (category 5).
 */
const partnerScene = async (): Promise<{ png: Buffer; labels: ImageLabels }> => {
  const width = 160;
  const height = 120;
  const hexagon: Point[] = [0, 1, 2, 3, 4, 5].map((k) => {
    const a = (k * Math.PI) / 3;
    return [45 + 24 * Math.cos(a), 45 + 24 * Math.sin(a)];
  });
  const disc = { cx: 112, cy: 72, r: 22 };
  const cyan: Box = { x: 20, y: 85, width: 40, height: 25 };
  const raw = Buffer.alloc(width * height * 3, 30);
  const mask = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [cx, cy] = [x + 0.5, y + 0.5];
      let colour: Rgb | undefined;
      if (inPolygon(cx, cy, hexagon)) colour = PAINT[3];
      else if ((cx - disc.cx) ** 2 + (cy - disc.cy) ** 2 < disc.r ** 2) {
        colour = PAINT[4];
        mask[y * width + x] = 1;
      } else if (cx > cyan.x && cx < cyan.x + cyan.width && cy > cyan.y && cy < cyan.y + cyan.height) colour = PAINT[5];
      if (colour) raw.set(colour, (y * width + x) * 3);
    }
  }
  const xs = hexagon.map((p) => p[0]);
  const ys = hexagon.map((p) => p[1]);
  const objects: LabelObject[] = [
    {
      category: 3,
      box: {
        x: Math.min(...xs),
        y: Math.min(...ys),
        width: Math.max(...xs) - Math.min(...xs),
        height: Math.max(...ys) - Math.min(...ys),
      },
      polygons: [hexagon],
    },
    {
      category: 4,
      box: { x: disc.cx - disc.r, y: disc.cy - disc.r, width: 2 * disc.r, height: 2 * disc.r },
      mask: encodeRle({ width, height, data: mask }),
    },
    { category: 5, box: cyan },
  ];
  const png = await sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  return { png, labels: { width, height, objects } };
};

/** The pixels within 70 of the colour on every channel, as a row-major 0/1 map, with their count and box. */
const colourPixels = (image: Raw, rgb: Rgb): { map: Uint8Array; count: number; box?: Box } => {
  const map = new Uint8Array(image.width * image.height);
  let count = 0;
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const o = (y * image.width + x) * image.channels;
      if (![0, 1, 2].every((c) => Math.abs((image.data[o + c] as number) - (rgb[c] as number)) < 70)) continue;
      map[y * image.width + x] = 1;
      count++;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x + 1), Math.max(y1, y + 1)];
    }
  }
  return count === 0 ? { map, count } : { map, count, box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
};

/** IoU of two row-major 0/1 maps. */
const mapIou = (a: Uint8Array, b: Uint8Array): number => {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) both++;
    if (a[i] || b[i]) either++;
  }
  return either === 0 ? 1 : both / either;
};

/** The exported object's region as a 0/1 map: its mask, its polygons, or its box. */
const labelMap = (object: LabelObject, width: number, height: number): Uint8Array => {
  if (object.mask) return decodeRle(object.mask).data;
  const map = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [cx, cy] = [x + 0.5, y + 0.5];
      const inside = object.polygons?.length
        ? object.polygons.some((p) => inPolygon(cx, cy, p))
        : cx > object.box.x &&
          cx < object.box.x + object.box.width &&
          cy > object.box.y &&
          cy < object.box.y + object.box.height;
      if (inside) map[y * width + x] = 1;
    }
  }
  return map;
};

interface Pasted {
  object: number;
  category: number;
  scale: number;
  left: number;
  top: number;
}

const VARIANTS = 8;

describe('copyPaste', () => {
  let source: DecodedSource;
  let labels: ImageLabels;
  let partners: Partners;
  before(async () => {
    const made = await scene();
    labels = made.labels;
    source = await decodeSource(made.png, LIMITS);
    const other = await partnerScene();
    const partner = { source: await decodeSource(other.png, LIMITS), labels: other.labels, name: 's_other' };
    partners = { count: 1, load: async () => partner };
  });

  const render = async (step: Record<string, unknown>, index: number, seed = 11) => {
    const pipeline = resolvePipeline({
      spec: { format: 'png', steps: [{ op: 'copyPaste', probability: 1, ...step }] },
      seed,
    });
    const variant = await renderVariant(source, pipeline, index, { labels, minVisibility: 0.25 }, {}, partners);
    return { variant, image: await rawOf(variant.data) };
  };

  it("pastes the other image's outlined objects where their exported mask, polygon and box say (IoU >= 0.9)", async () => {
    let pastedCount = 0;
    for (let index = 0; index < VARIANTS; index++) {
      // Act
      const { variant, image } = await render({ objects: [1, 2], scale: [0.6, 1.6] }, index);
      // Assess: the manifest names the image, the objects and where they went
      const params = variant.operations[0]?.params as { image: string; pasted: Pasted[] };
      assert.equal(params.image, 's_other');
      assert.ok(params.pasted.length >= 1);
      assert.ok(
        params.pasted.every((p) => p.object !== 2 && p.category !== 5),
        'the box-only object is never pasted',
      );
      const kept = variant.labels?.labels.objects ?? [];
      for (const p of params.pasted) {
        const object = kept.find((o) => o.category === p.category);
        assert.ok(object, `pasted category ${p.category} is labelled`);
        assert.equal(Boolean(object.mask), p.category === 4, 'a mask stays a mask');
        assert.equal(Boolean(object.polygons), p.category === 3, 'a polygon stays a polygon');
        const pixels = colourPixels(image, PAINT[p.category] as Rgb);
        assert.ok(pixels.box, `category ${p.category} has pixels`);
        const boxIou = iou(object.box, pixels.box);
        assert.ok(boxIou >= 0.9, `box ${JSON.stringify(object.box)} vs ${JSON.stringify(pixels.box)}: ${boxIou}`);
        const shapeIou = mapIou(labelMap(object, image.width, image.height), pixels.map);
        assert.ok(shapeIou >= 0.9, `category ${p.category} outline vs pixels IoU ${shapeIou.toFixed(3)}`);
        assert.ok(object.box.x >= 0 && object.box.y >= 0, 'inside the image');
        assert.ok(object.box.x + object.box.width <= 200 && object.box.y + object.box.height <= 150);
        pastedCount++;
      }
    }
    assert.ok(pastedCount >= VARIANTS, `${pastedCount} objects pasted`);
  });

  it('objects the paste covers lose the covered part: boxes shrink to what shows, masks lose pixels, the hidden are dropped', async () => {
    let shrunk = 0;
    let dropped = 0;
    const original = await rawOf(await sharpPng(source));
    for (let index = 0; index < VARIANTS * 3; index++) {
      // Act: large pastes, so that this image's objects are often covered
      const { variant, image } = await render({ objects: [2, 2], scale: [1.5, 3] }, index);
      const followed = variant.labels;
      assert.ok(followed);
      // Assess: each of this image's objects (categories 0-2) that is kept has its label on what shows of it
      for (const object of followed.labels.objects.filter((o) => o.category <= 2)) {
        const pixels = colourPixels(image, PAINT[object.category] as Rgb);
        assert.ok(pixels.box, `kept category ${object.category} shows`);
        const overlap = iou(object.box, pixels.box);
        assert.ok(
          overlap >= 0.9,
          `category ${object.category}: ${JSON.stringify(object.box)} vs ${JSON.stringify(pixels.box)} (${overlap.toFixed(3)}) after ${JSON.stringify(variant.operations)}`,
        );
        const before = labels.objects[object.category] as LabelObject;
        if (object.box.width * object.box.height < before.box.width * before.box.height - 1) shrunk++;
        if (object.mask) {
          const shapeIou = mapIou(labelMap(object, image.width, image.height), pixels.map);
          assert.ok(shapeIou >= 0.9, `mask vs pixels IoU ${shapeIou.toFixed(3)}`);
        }
        if (object.keypoints) {
          const [k] = object.keypoints;
          assert.ok(k);
          const at = (Math.floor(k.y) * image.width + Math.floor(k.x)) * image.channels;
          const red = image.data[at] === 255 && image.data[at + 1] === 0 && image.data[at + 2] === 0;
          assert.equal(k.v, red ? 2 : 1, `keypoint ${JSON.stringify(k)} shows red: ${red}`);
        }
      }
      // The dropped ones show less than minVisibility of what they showed before.
      for (const d of followed.dropped.filter((o) => o.category <= 2)) {
        assert.match(d.reason, /visible|covered by pasted objects/);
        const all = colourPixels(original, PAINT[d.category] as Rgb).count;
        const left = colourPixels(image, PAINT[d.category] as Rgb).count;
        assert.ok(left < all * 0.3, `dropped category ${d.category} shows ${left} of ${all} pixels`);
        dropped++;
      }
    }
    assert.ok(shrunk > 0, `some box shrank (${shrunk})`);
    assert.ok(dropped > 0, `some object was dropped (${dropped})`);
  });

  it('pastes only the asked classes', async () => {
    for (let index = 0; index < 4; index++) {
      const { variant } = await render({ objects: [2, 3], classes: '4' }, index);
      const params = variant.operations[0]?.params as { pasted: Pasted[] };
      assert.deepEqual(
        params.pasted.map((p) => p.category),
        [4],
      );
    }
  });

  it('without other images, pastes objects of the source itself', async () => {
    const pipeline = resolvePipeline({
      spec: { format: 'png', steps: [{ op: 'copyPaste', probability: 1 }] },
      seed: 2,
    });
    const variant = await renderVariant(source, pipeline, 0, { labels, minVisibility: 0.25 });
    const params = variant.operations[0]?.params as { image: null; pasted: Pasted[] };
    assert.equal(params.image, null);
    assert.ok(params.pasted.length >= 1);
    assert.ok(
      params.pasted.every((p) => p.category === 1 || p.category === 2),
      'only outlined objects',
    );
    assert.equal(
      variant.labels?.labels.objects.length,
      3 + params.pasted.length - (variant.labels?.dropped.length ?? 0),
    );
  });

  it('is a pure function of the seed: the same variant gives the same bytes, labels and manifest', async () => {
    for (let index = 0; index < 3; index++) {
      const a = await render({ objects: [1, 3] }, index, 21);
      const b = await render({ objects: [1, 3] }, index, 21);
      assert.ok(a.variant.data.equals(b.variant.data), 'same bytes');
      assert.deepEqual(a.variant.labels, b.variant.labels);
      assert.deepEqual(a.variant.operations, b.variant.operations);
    }
  });
});

/** The source's pixels as a PNG (the picture before any paste). */
const sharpPng = async (source: DecodedSource): Promise<Buffer> => {
  const pipeline = resolvePipeline({ spec: { format: 'png', steps: [{ op: 'flip', probability: 0 }] }, seed: 1 });
  return (await renderVariant(source, pipeline, 0)).data;
};
