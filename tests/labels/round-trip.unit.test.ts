import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Category,
  type DatasetFiles,
  type ImageLabels,
  parseCoco,
  parseVoc,
  parseYolo,
  writeCoco,
  writeDataYaml,
  writeVoc,
  writeYoloLabels,
} from '@delta-augment/core';

const CATEGORIES: Category[] = [{ name: 'cat' }, { name: 'dog' }, { name: 'zebra' }];

/** Seeded images with boxes anywhere, touching the edges included. */
const images = (count: number, seed: number): { name: string; labels: ImageLabels }[] => {
  let s = seed;
  const random = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: count }, (_, i) => {
    const width = 50 + Math.floor(random() * 1900);
    const height = 50 + Math.floor(random() * 1900);
    const objects = Array.from({ length: 1 + Math.floor(random() * 6) }, () => {
      const x0 = random() < 0.1 ? 0 : random() * width * 0.9;
      const y0 = random() < 0.1 ? 0 : random() * height * 0.9;
      const x1 = random() < 0.1 ? width : x0 + 2 + random() * (width - x0 - 2);
      const y1 = random() < 0.1 ? height : y0 + 2 + random() * (height - y0 - 2);
      return { category: Math.floor(random() * 3), box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
    });
    return { name: `img${i}.jpg`, labels: { width, height, objects } };
  });
};

const sizes = (list: readonly { name: string; labels: ImageLabels }[], folder: string) =>
  new Map(list.map((i) => [`${folder}${i.name}`, { width: i.labels.width, height: i.labels.height }]));

/** Labels by image base name, categories by name. */
const byName = (parsed: {
  categories: readonly Category[];
  items: readonly { image: string; labels: ImageLabels }[];
}) =>
  new Map(
    parsed.items.map((item) => [
      item.image.slice(item.image.lastIndexOf('/') + 1),
      {
        ...item.labels,
        objects: item.labels.objects.map((o) => ({
          ...o,
          category: CATEGORIES.findIndex((c) => c.name === parsed.categories[o.category]?.name),
        })),
      },
    ]),
  );

describe('a round trip COCO → YOLO → VOC → COCO', () => {
  it('keeps every label within 0.5 px', () => {
    // Prepare
    const original = images(60, 42);
    // Act: COCO
    const coco1: DatasetFiles = {
      texts: new Map([
        [
          'a.json',
          writeCoco(
            CATEGORIES,
            original.map((i) => ({ fileName: i.name, labels: i.labels })),
          ),
        ],
      ]),
      images: sizes(original, ''),
    };
    const afterCoco = byName(parseCoco(coco1, 'fail'));
    // YOLO
    const yolo: DatasetFiles = {
      texts: new Map([
        ['data.yaml', writeDataYaml(CATEGORIES, ['train'], 0)],
        ...[...afterCoco].map(
          ([name, labels]) =>
            [`labels/${name.replace('.jpg', '.txt')}`, writeYoloLabels(labels, 'detect', 0)] as [string, string],
        ),
      ]),
      images: sizes(original, 'images/'),
    };
    const afterYolo = byName(parseYolo(yolo, 'fail'));
    // VOC
    const voc: DatasetFiles = {
      texts: new Map(
        [...afterYolo].map(([name, labels]) => [name.replace('.jpg', '.xml'), writeVoc(CATEGORIES, name, '', labels)]),
      ),
      images: sizes(original, ''),
    };
    const afterVoc = byName(parseVoc(voc, 'fail'));
    // COCO again
    const coco2: DatasetFiles = {
      texts: new Map([
        [
          'b.json',
          writeCoco(
            CATEGORIES,
            [...afterVoc].map(([fileName, labels]) => ({ fileName, labels })),
          ),
        ],
      ]),
      images: sizes(original, ''),
    };
    const final = byName(parseCoco(coco2, 'fail'));
    // Assess
    let worst = 0;
    for (const image of original) {
      const back = final.get(image.name);
      assert.ok(back, image.name);
      assert.equal(back.objects.length, image.labels.objects.length);
      image.labels.objects.forEach((o, k) => {
        const b = back.objects[k];
        assert.equal(b?.category, o.category);
        for (const [u, v] of [
          [o.box.x, b?.box.x],
          [o.box.y, b?.box.y],
          [o.box.x + o.box.width, (b?.box.x ?? 0) + (b?.box.width ?? 0)],
          [o.box.y + o.box.height, (b?.box.y ?? 0) + (b?.box.height ?? 0)],
        ] as [number, number][]) {
          worst = Math.max(worst, Math.abs(u - v));
        }
      });
    }
    assert.ok(worst <= 0.5, `largest error ${worst} px`);
  });
});
