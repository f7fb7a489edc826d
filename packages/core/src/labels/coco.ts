import {
  type DatasetFiles,
  dirOf,
  EDGE_TOLERANCE_PX,
  findImage,
  type LabelledItem,
  numberAt,
  type OnLabelError,
  type ParsedDataset,
  Problems,
  splitOfPath,
} from './dataset.js';
import { LabelError, lineAt } from './errors.js';
import type { Box, Category, ImageLabels, Keypoint, LabelObject, Point, Rle, Visibility } from './model.js';
import { rleFromString } from './rle.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** True when a JSON text looks like a COCO file (has images, annotations and categories). */
export const looksLikeCoco = (text: string): boolean =>
  /"images"\s*:/.test(text) && /"annotations"\s*:/.test(text) && /"categories"\s*:/.test(text);

/** The line where an array element with this `id` sits (best effort: the JSON parser keeps no positions). */
const lineOfId = (text: string, section: string, id: unknown): number | undefined => {
  const start = text.indexOf(`"${section}"`);
  if (start < 0 || (typeof id !== 'number' && typeof id !== 'string')) return undefined;
  const pattern = new RegExp(
    `"id"\\s*:\\s*${JSON.stringify(id).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[\\s,}])`,
    'g',
  );
  pattern.lastIndex = start;
  const match = pattern.exec(text);
  return match ? lineAt(text, match.index) : undefined;
};

/** Box checked against the image: slightly past the edge is clipped, further is an error. */
export const checkBox = (box: Box, width: number, height: number, file: string, line: number | undefined): Box => {
  const t = EDGE_TOLERANCE_PX;
  const { x, y } = box;
  const x1 = x + box.width;
  const y1 = y + box.height;
  if (box.width < 0 || box.height < 0) throw new LabelError(file, line, `box has a negative size`);
  if (x < -t || y < -t || x1 > width + t || y1 > height + t) {
    throw new LabelError(
      file,
      line,
      `box [${x}, ${y}, ${box.width}, ${box.height}] lies outside the ${width}×${height} image`,
    );
  }
  const cx = Math.max(0, x);
  const cy = Math.max(0, y);
  return { x: cx, y: cy, width: Math.min(width, x1) - cx, height: Math.min(height, y1) - cy };
};

const parseSegmentation = (
  value: unknown,
  image: { width: number; height: number },
  file: string,
  line: number | undefined,
): { polygons?: Point[][]; mask?: Rle } => {
  if (value === undefined || value === null) return {};
  if (Array.isArray(value)) {
    const polygons: Point[][] = [];
    for (const flat of value) {
      if (!Array.isArray(flat) || flat.length % 2 !== 0) {
        throw new LabelError(file, line, 'a segmentation polygon must be a flat list of x, y pairs');
      }
      if (flat.length < 6) continue;
      const points: Point[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        points.push([numberAt(flat[i], file, line, 'polygon x'), numberAt(flat[i + 1], file, line, 'polygon y')]);
      }
      polygons.push(points);
    }
    return polygons.length > 0 ? { polygons } : {};
  }
  if (isObject(value)) {
    const size = value.size;
    if (!Array.isArray(size) || size.length !== 2)
      throw new LabelError(file, line, 'an RLE segmentation needs size [h, w]');
    const [h, w] = [numberAt(size[0], file, line, 'RLE height'), numberAt(size[1], file, line, 'RLE width')];
    if (h !== image.height || w !== image.width) {
      throw new LabelError(file, line, `RLE size ${h}×${w} differs from the image's ${image.height}×${image.width}`);
    }
    const counts = value.counts;
    let rle: Rle;
    if (typeof counts === 'string') rle = rleFromString(counts, h, w);
    else if (Array.isArray(counts))
      rle = { height: h, width: w, counts: counts.map((c) => numberAt(c, file, line, 'RLE count')) };
    else throw new LabelError(file, line, 'RLE counts must be a string or a list');
    const total = rle.counts.reduce((a, b) => a + b, 0);
    if (total !== h * w) throw new LabelError(file, line, `RLE counts cover ${total} pixels, not ${h * w}`);
    return { mask: rle };
  }
  throw new LabelError(file, line, 'segmentation must be polygons or RLE');
};

const parseKeypoints = (value: unknown, file: string, line: number | undefined): Keypoint[] | undefined => {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  if (value.length % 3 !== 0) throw new LabelError(file, line, 'keypoints must be x, y, v triples');
  const out: Keypoint[] = [];
  for (let i = 0; i < value.length; i += 3) {
    const v = numberAt(value[i + 2], file, line, 'keypoint visibility');
    if (v !== 0 && v !== 1 && v !== 2)
      throw new LabelError(file, line, `keypoint visibility must be 0, 1 or 2, got ${v}`);
    out.push({
      x: numberAt(value[i], file, line, 'keypoint x'),
      y: numberAt(value[i + 1], file, line, 'keypoint y'),
      v: v as Visibility,
    });
  }
  return out;
};

/** Reads every COCO JSON of the zip into one dataset (categories merged by name). */
export const parseCoco = (files: DatasetFiles, mode: OnLabelError): ParsedDataset => {
  const problems = new Problems(mode);
  const categories: Category[] = [];
  const categoryIndex = new Map<string, number>();
  const items: LabelledItem[] = [];
  const claimed = new Set<string>();
  const jsons = [...files.texts.entries()].filter(
    ([path, text]) => path.toLowerCase().endsWith('.json') && looksLikeCoco(text),
  );
  for (const [file, text] of jsons.sort(([a], [b]) => a.localeCompare(b))) {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (error) {
      const at = /position (\d+)/.exec((error as Error).message);
      throw new LabelError(
        file,
        at ? lineAt(text, Number(at[1])) : undefined,
        `not valid JSON: ${(error as Error).message}`,
      );
    }
    if (
      !isObject(doc) ||
      !Array.isArray(doc.images) ||
      !Array.isArray(doc.annotations) ||
      !Array.isArray(doc.categories)
    ) {
      throw new LabelError(file, undefined, 'a COCO file needs the lists images, annotations and categories');
    }
    const byCategoryId = new Map<unknown, number>();
    for (const c of doc.categories) {
      if (!isObject(c) || typeof c.name !== 'string' || c.id === undefined) {
        throw new LabelError(
          file,
          lineOfId(text, 'categories', isObject(c) ? c.id : undefined),
          'a category needs an id and a name',
        );
      }
      let index = categoryIndex.get(c.name);
      if (index === undefined) {
        index = categories.length;
        categoryIndex.set(c.name, index);
        const keypoints = Array.isArray(c.keypoints) ? c.keypoints.map(String) : undefined;
        const skeleton = Array.isArray(c.skeleton)
          ? c.skeleton
              .filter((p): p is [number, number] => Array.isArray(p) && p.length === 2)
              .map(([a, b]) => [Number(a), Number(b)] as const)
          : undefined;
        categories.push({
          name: c.name,
          ...(keypoints?.length ? { keypoints } : {}),
          ...(skeleton?.length ? { skeleton } : {}),
        });
      }
      byCategoryId.set(c.id, index);
    }
    const folder = dirOf(file);
    const images = new Map<unknown, { path: string; width: number; height: number; objects: LabelObject[] }>();
    for (const image of doc.images) {
      if (!isObject(image)) continue;
      const line = lineOfId(text, 'images', image.id);
      const name = typeof image.file_name === 'string' ? image.file_name : '';
      const path = findImage(files, name, [folder, '', `${folder}/images`, 'images']);
      if (path === undefined) {
        problems.report(
          new LabelError(file, line, `image ${JSON.stringify(name)} is not in the zip`),
          name || String(image.id),
        );
        continue;
      }
      const size = files.images.get(path) as { width: number; height: number };
      images.set(image.id, { path, width: size.width, height: size.height, objects: [] });
    }
    for (const annotation of doc.annotations) {
      if (!isObject(annotation)) continue;
      const line = lineOfId(text, 'annotations', annotation.id);
      const image = images.get(annotation.image_id);
      if (image === undefined) {
        const known = (doc.images as unknown[]).some((i) => isObject(i) && i.id === annotation.image_id);
        if (!known)
          problems.report(
            new LabelError(file, line, `image_id ${JSON.stringify(annotation.image_id)} is not in images`),
            `${file}#${String(annotation.id)}`,
          );
        continue;
      }
      if (problems.isBad(image.path)) continue;
      try {
        const category = byCategoryId.get(annotation.category_id);
        if (category === undefined) {
          throw new LabelError(
            file,
            line,
            `category_id ${JSON.stringify(annotation.category_id)} is not in categories`,
          );
        }
        const segmentation = parseSegmentation(annotation.segmentation, image, file, line);
        const keypoints = parseKeypoints(annotation.keypoints, file, line);
        const bbox = annotation.bbox;
        if (!Array.isArray(bbox) || bbox.length !== 4)
          throw new LabelError(file, line, 'bbox must be [x, y, width, height]');
        const [x, y, w, h] = bbox.map((v, i) => numberAt(v, file, line, `bbox[${i}]`)) as [
          number,
          number,
          number,
          number,
        ];
        const box = checkBox({ x, y, width: w, height: h }, image.width, image.height, file, line);
        image.objects.push({
          category,
          box,
          ...segmentation,
          ...(keypoints ? { keypoints } : {}),
          ...(annotation.iscrowd === 1 ? { crowd: true } : {}),
        });
      } catch (error) {
        if (!(error instanceof LabelError)) throw error;
        problems.report(error, image.path);
      }
    }
    for (const image of images.values()) {
      if (problems.isBad(image.path) || claimed.has(image.path)) continue;
      claimed.add(image.path);
      const split = splitOfPath(file) ?? splitOfPath(image.path);
      const labels: ImageLabels = { width: image.width, height: image.height, objects: image.objects };
      items.push({ image: image.path, ...(split ? { split } : {}), labels });
    }
  }
  for (const path of files.images.keys()) {
    if (!claimed.has(path) && !problems.isBad(path))
      problems.skipped.push({ file: path, reason: 'no COCO file lists this image' });
  }
  return { format: 'coco', categories, items, skipped: problems.skipped };
};

const round = (value: number): number => Math.round(value * 100) / 100;

export interface CocoImage {
  readonly fileName: string;
  readonly labels: ImageLabels;
}

type CocoObject = ImageLabels['objects'][number];

/** One COCO annotation of an object of image `imageId`. */
const cocoAnnotation = (object: CocoObject, id: number, imageId: number): Json => {
  const { box } = object;
  const annotation: Json = {
    id,
    image_id: imageId,
    category_id: object.category + 1,
    bbox: [round(box.x), round(box.y), round(box.width), round(box.height)],
    area: round(box.width * box.height),
    iscrowd: object.crowd ? 1 : 0,
    segmentation: object.mask
      ? { size: [object.mask.height, object.mask.width], counts: object.mask.counts }
      : (object.polygons ?? []).map((polygon) => polygon.flatMap(([x, y]) => [round(x), round(y)])),
  };
  if (object.keypoints) {
    annotation.keypoints = object.keypoints.flatMap((k) => (k.v === 0 ? [0, 0, 0] : [round(k.x), round(k.y), k.v]));
    annotation.num_keypoints = object.keypoints.filter((k) => k.v > 0).length;
  }
  return annotation;
};

const cocoImage = (image: CocoImage, id: number): Json => ({
  id,
  file_name: image.fileName,
  width: image.labels.width,
  height: image.labels.height,
});

const cocoHead = (categories: readonly Category[]) => ({
  info: { description: 'Delta Augment export', version: '1.0' },
  licenses: [],
  categories: categories.map((c, i) => ({
    id: i + 1,
    name: c.name,
    supercategory: 'none',
    ...(c.keypoints ? { keypoints: c.keypoints } : {}),
    ...(c.skeleton ? { skeleton: c.skeleton } : {}),
  })),
});

/** A COCO document (`_annotations.coco.json`) for the images of one split. Category ids start at 1. */
export const writeCoco = (categories: readonly Category[], images: readonly CocoImage[]): string => {
  let annotationId = 0;
  const annotations: Json[] = [];
  images.forEach((image, i) => {
    for (const object of image.labels.objects) annotations.push(cocoAnnotation(object, ++annotationId, i + 1));
  });
  const doc = { ...cocoHead(categories), images: images.map((image, i) => cocoImage(image, i + 1)), annotations };
  return `${JSON.stringify(doc)}\n`;
};

/**
 * The same document as {@link writeCoco}, generated piece by piece from images read twice (once for
 * `images`, once for `annotations`), so that a split of any size is written without holding it.
 */
export async function* cocoDocument(
  categories: readonly Category[],
  images: () => AsyncIterable<CocoImage>,
): AsyncGenerator<string> {
  const head = JSON.stringify(cocoHead(categories));
  yield `${head.slice(0, -1)},"images":[`;
  let imageId = 0;
  for await (const image of images()) yield `${imageId ? ',' : ''}${JSON.stringify(cocoImage(image, ++imageId))}`;
  yield '],"annotations":[';
  imageId = 0;
  let annotationId = 0;
  for await (const image of images()) {
    imageId++;
    for (const object of image.labels.objects) {
      yield `${annotationId ? ',' : ''}${JSON.stringify(cocoAnnotation(object, ++annotationId, imageId))}`;
    }
  }
  yield ']}\n';
}
