import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type Box,
  boxCorners,
  type Category,
  type DatasetFiles,
  type ImageLabels,
  writeCoco,
  writeDataYaml,
  writeVoc,
  writeYoloLabels,
} from '@delta-augment/core';
import sharp from 'sharp';
import { makeZip } from '../gateway/fixtures.js';
import { gradientJpeg, sharedImagePath } from '../helpers/images.js';
import { readZip } from '../helpers/zip.js';

/** Object colours rare in photos, told apart by their channels after resampling. */
export const OBJECT_COLOURS = [
  [255, 0, 255],
  [0, 255, 255],
] as const;
export const CATEGORIES: Category[] = [{ name: 'magenta' }, { name: 'cyan' }];

export interface PhotoItem {
  readonly name: string;
  readonly png: Buffer;
  readonly labels: ImageLabels;
}

/**
 * The shared photos, shrunk to 240 px wide, each with a solid magenta and a solid cyan rectangle
 * painted on it (placed from the photo's index), labelled by their boxes.
 */
export const photoItems = async (count = 12, width = 240): Promise<PhotoItem[]> => {
  const folder = dirname(sharedImagePath('ladybird.jpg'));
  const names = readdirSync(folder)
    .filter((n) => n.endsWith('.jpg'))
    .sort()
    .slice(0, count);
  const items: PhotoItem[] = [];
  for (const [i, name] of names.entries()) {
    const { data, info } = await sharp(`${folder}/${name}`)
      .resize({ width })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const boxes: Box[] = [
      { x: 20 + ((i * 13) % 60), y: 15 + ((i * 7) % 30), width: 60, height: 40 },
      { x: 120 + ((i * 11) % 50), y: Math.max(10, info.height - 70 - ((i * 5) % 30)), width: 45, height: 50 },
    ];
    boxes.forEach((box, k) => {
      for (let y = box.y; y < box.y + box.height; y++) {
        for (let x = box.x; x < box.x + box.width; x++)
          data.set(OBJECT_COLOURS[k] as readonly number[], (y * info.width + x) * 3);
      }
    });
    const png = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
      .png()
      .toBuffer();
    items.push({
      name: name.replace(/\.jpg$/, '.png'),
      png,
      labels: { width: info.width, height: info.height, objects: boxes.map((box, k) => ({ category: k, box })) },
    });
  }
  return items;
};

/** The items with their rectangles labelled by their outlines too (so copy-paste can cut them out). */
export const outlined = (items: readonly PhotoItem[]): PhotoItem[] =>
  items.map((item) => ({
    ...item,
    labels: {
      ...item.labels,
      objects: item.labels.objects.map((o) => ({ ...o, polygons: [boxCorners(o.box)] })),
    },
  }));

/** The photos as a COCO zip: images/ and one annotations JSON at the root. */
export const cocoZip = (items: readonly PhotoItem[]): Promise<Buffer> =>
  makeZip([
    ...items.map((item) => ({ name: `images/${item.name}`, data: item.png })),
    {
      name: 'annotations.json',
      data: Buffer.from(
        writeCoco(
          CATEGORIES,
          items.map((item) => ({ fileName: item.name, labels: item.labels })),
        ),
      ),
    },
  ]);

/** The photos as an Ultralytics YOLO zip: data.yaml, images/, labels/. */
export const yoloZip = (items: readonly PhotoItem[]): Promise<Buffer> =>
  makeZip([
    { name: 'data.yaml', data: Buffer.from('names:\n  - magenta\n  - cyan\n') },
    ...items.map((item) => ({ name: `images/${item.name}`, data: item.png })),
    ...items.map((item) => ({
      name: `labels/${item.name.replace(/\.png$/, '.txt')}`,
      data: Buffer.from(writeYoloLabels(item.labels, 'detect', 0)),
    })),
  ]);

/** The photos as a Pascal VOC zip: Annotations/ and JPEGImages/. */
export const vocZip = (items: readonly PhotoItem[]): Promise<Buffer> =>
  makeZip([
    ...items.map((item) => ({ name: `JPEGImages/${item.name}`, data: item.png })),
    ...items.map((item) => ({
      name: `Annotations/${item.name.replace(/\.png$/, '.xml')}`,
      data: Buffer.from(writeVoc(CATEGORIES, item.name, 'JPEGImages', item.labels)),
    })),
  ]);

export { writeDataYaml };

/** The files of an archive as a parser reads them: label files as text, images with their sizes. */
export const datasetFilesOf = async (entries: ReadonlyMap<string, Buffer>): Promise<DatasetFiles> => {
  const texts = new Map<string, string>();
  const images = new Map<string, { width: number; height: number }>();
  for (const [path, data] of entries) {
    if (/\.(json|txt|ya?ml|xml)$/i.test(path)) {
      if (!path.startsWith('manifest')) texts.set(path, data.toString('utf8'));
    } else if (/\.(png|jpe?g|webp)$/i.test(path)) {
      const meta = await sharp(data).metadata();
      images.set(path, { width: meta.width ?? 0, height: meta.height ?? 0 });
    }
  }
  return { texts, images };
};

/** Box of the pixels of an object colour inside a region (the label box grown by a margin). */
export const colourBox = async (image: Buffer, colour: readonly number[], region: Box): Promise<Box | undefined> => {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const left = Math.max(0, Math.floor(region.x));
  const top = Math.max(0, Math.floor(region.y));
  const right = Math.min(info.width, Math.ceil(region.x + region.width));
  const bottom = Math.min(info.height, Math.ceil(region.y + region.height));
  for (let y = top; y < bottom; y++) {
    for (let x = left; x < right; x++) {
      const o = (y * info.width + x) * 3;
      const close = [0, 1, 2].every((c) => Math.abs((data[o + c] as number) - (colour[c] as number)) < 90);
      if (!close) continue;
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + 1);
      y1 = Math.max(y1, y + 1);
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
};

/** A COCO zip of the first two photos plus `unlisted` small images no COCO file lists (each a skipped item). */
export const cocoZipWithUnlisted = async (unlisted: number): Promise<Buffer> => {
  const entries = await readZip(await cocoZip((await photoItems()).slice(0, 2)));
  for (let i = 0; i < unlisted; i++) entries.set(`train/unlisted_${i}.jpg`, await gradientJpeg(12, 10));
  return makeZip([...entries].map(([name, data]) => ({ name, data })));
};
