import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import {
  baseOf,
  type DatasetFiles,
  dirOf,
  type LabelledItem,
  numberAt,
  type OnLabelError,
  type ParsedDataset,
  Problems,
  splitOfPath,
} from './dataset.js';
import { LabelError } from './errors.js';
import type { Category, ImageLabels, Keypoint, LabelObject, Point, Split, Visibility } from './model.js';
import { boundsOf, boxCorners, polygonArea } from './shapes.js';

/** Normalised values may stray this far past [0, 1] from rounding; they are clamped. Further is an error. */
const TOLERANCE = 0.01;

interface YoloConfig {
  readonly file: string;
  readonly names: string[];
  /** [keypoints per object, 2 or 3 values each] for pose datasets. */
  readonly kptShape?: readonly [number, number];
}

/** Finds and reads data.yaml (or any .yaml with `names`; a darknet classes.txt otherwise). */
export const readYoloConfig = (files: DatasetFiles): YoloConfig | undefined => {
  const yamls = [...files.texts.keys()]
    .filter((p) => /\.ya?ml$/i.test(p))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  for (const file of yamls) {
    let doc: unknown;
    try {
      doc = parseYaml(files.texts.get(file) as string);
    } catch (error) {
      const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
      throw new LabelError(file, line, `not valid YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    if (typeof doc !== 'object' || doc === null || !('names' in doc)) continue;
    const raw = (doc as { names: unknown }).names;
    let names: string[];
    if (Array.isArray(raw)) names = raw.map(String);
    else if (typeof raw === 'object' && raw !== null) {
      const entries = Object.entries(raw).map(([k, v]) => [Number(k), String(v)] as const);
      if (entries.some(([k]) => !Number.isInteger(k) || k < 0))
        throw new LabelError(file, undefined, 'names keys must be class numbers 0, 1, ...');
      names = [];
      for (const [k, v] of entries) names[k] = v;
      // biome-ignore lint/complexity/useIndexOf: `names` is sparse; indexOf skips its holes, findIndex visits them
      const hole = names.findIndex((n) => n === undefined);
      if (hole >= 0) throw new LabelError(file, undefined, `names has no class ${hole}`);
    } else throw new LabelError(file, undefined, 'names must be a list or a map of class numbers to names');
    const shape = (doc as { kpt_shape?: unknown }).kpt_shape;
    const kptShape =
      Array.isArray(shape) && shape.length === 2 && Number.isInteger(shape[0]) && (shape[1] === 2 || shape[1] === 3)
        ? ([shape[0], shape[1]] as const)
        : undefined;
    return { file, names, ...(kptShape ? { kptShape } : {}) };
  }
  const classes = [...files.texts.keys()].find((p) => baseOf(p) === 'classes.txt');
  if (classes !== undefined) {
    const names = (files.texts.get(classes) as string)
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
    return { file: classes, names };
  }
  return undefined;
};

/** The label file of an image: the last `images` folder becomes `labels`, the extension `.txt`. */
export const yoloLabelPath = (image: string): string => {
  const parts = image.split('/');
  const i = parts.lastIndexOf('images');
  if (i >= 0) parts[i] = 'labels';
  return parts.join('/').replace(/\.[^./]+$/, '.txt');
};

const clampUnit = (value: number, file: string, line: number, what: string): number => {
  if (value < -TOLERANCE || value > 1 + TOLERANCE) {
    throw new LabelError(
      file,
      line,
      `${what} ${Number(value.toFixed(6))} is outside [0, 1]: the point lies outside the image`,
    );
  }
  return Math.min(1, Math.max(0, value));
};

/** Parses one label line of an image of size w × h. */
const parseLine = (text: string, config: YoloConfig, w: number, h: number, file: string, line: number): LabelObject => {
  const tokens = text.trim().split(/\s+/);
  const cls = Number(tokens[0]);
  if (!Number.isInteger(cls) || cls < 0)
    throw new LabelError(file, line, `class ${JSON.stringify(tokens[0])} is not a class number`);
  if (cls >= config.names.length) {
    throw new LabelError(
      file,
      line,
      `class ${cls} is not declared in ${config.file} (it names ${config.names.length})`,
    );
  }
  const values = tokens.slice(1).map((t, i) => numberAt(t, file, line, `value ${i + 2}`));
  const kpt = config.kptShape;
  const box = (cx: number, cy: number, bw: number, bh: number) => {
    const x0 = clampUnit(cx - bw / 2, file, line, 'box left');
    const y0 = clampUnit(cy - bh / 2, file, line, 'box top');
    const x1 = clampUnit(cx + bw / 2, file, line, 'box right');
    const y1 = clampUnit(cy + bh / 2, file, line, 'box bottom');
    if (bw <= 0 || bh <= 0) throw new LabelError(file, line, 'box width and height must be positive');
    return { x: x0 * w, y: y0 * h, width: (x1 - x0) * w, height: (y1 - y0) * h };
  };
  if (kpt !== undefined && values.length === 4 + kpt[0] * kpt[1]) {
    const [cx, cy, bw, bh] = values as [number, number, number, number];
    const keypoints: Keypoint[] = [];
    for (let k = 0; k < kpt[0]; k++) {
      const x = values[4 + k * kpt[1]] as number;
      const y = values[5 + k * kpt[1]] as number;
      const v = kpt[1] === 3 ? (values[6 + k * kpt[1]] as number) : x === 0 && y === 0 ? 0 : 2;
      if (v !== 0 && v !== 1 && v !== 2)
        throw new LabelError(file, line, `keypoint visibility must be 0, 1 or 2, got ${v}`);
      keypoints.push(
        v === 0
          ? { x: 0, y: 0, v: 0 }
          : {
              x: clampUnit(x, file, line, 'keypoint x') * w,
              y: clampUnit(y, file, line, 'keypoint y') * h,
              v: v as Visibility,
            },
      );
    }
    return { category: cls, box: box(cx, cy, bw, bh), keypoints };
  }
  if (values.length === 4) {
    const [cx, cy, bw, bh] = values as [number, number, number, number];
    return { category: cls, box: box(cx, cy, bw, bh) };
  }
  if (values.length >= 6 && values.length % 2 === 0) {
    const polygon: Point[] = [];
    for (let i = 0; i < values.length; i += 2) {
      polygon.push([
        clampUnit(values[i] as number, file, line, 'x') * w,
        clampUnit(values[i + 1] as number, file, line, 'y') * h,
      ]);
    }
    const bounds = boundsOf([polygon]);
    if (bounds === undefined || polygonArea(polygon) === 0) throw new LabelError(file, line, 'the polygon has no area');
    return { category: cls, box: bounds, polygons: [polygon] };
  }
  const expected = kpt
    ? `5 (box), ${5 + kpt[0] * kpt[1]} (pose) or an odd number >= 7 (polygon)`
    : '5 (box) or an odd number >= 7 (polygon)';
  throw new LabelError(file, line, `a line has ${tokens.length} values; expected ${expected}`);
};

/** Reads an Ultralytics YOLO dataset: data.yaml, `images/` with `labels/` beside (optionally per split). */
export const parseYolo = (files: DatasetFiles, mode: OnLabelError): ParsedDataset => {
  const config = readYoloConfig(files);
  if (config === undefined) throw new LabelError('data.yaml', undefined, 'a YOLO dataset needs a data.yaml with names');
  const problems = new Problems(mode);
  const items: LabelledItem[] = [];
  const used = new Set<string>();
  for (const [image, size] of [...files.images.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const file = yoloLabelPath(image);
    const text = files.texts.get(file);
    used.add(file);
    const objects: LabelObject[] = [];
    try {
      (text ?? '').split(/\r?\n/).forEach((raw, i) => {
        if (raw.trim() === '') return;
        objects.push(parseLine(raw, config, size.width, size.height, file, i + 1));
      });
    } catch (error) {
      if (!(error instanceof LabelError)) throw error;
      problems.report(error, image);
      continue;
    }
    const split = splitOfPath(image);
    items.push({ image, ...(split ? { split } : {}), labels: { width: size.width, height: size.height, objects } });
  }
  for (const file of files.texts.keys()) {
    if (file.endsWith('.txt') && dirOf(file).split('/').includes('labels') && !used.has(file)) {
      problems.report(new LabelError(file, undefined, 'no image in images/ matches this label file'), file);
    }
  }
  const categories: Category[] = config.names.map((name, i) =>
    config.kptShape && i === 0
      ? { name, keypoints: Array.from({ length: config.kptShape[0] }, (_, k) => String(k)) }
      : { name },
  );
  return { format: 'yolo', categories, items, skipped: problems.skipped };
};

const unit = (value: number): string => Math.min(1, Math.max(0, value)).toFixed(6);

export type YoloTask = 'detect' | 'segment' | 'pose';

/** The task a dataset's labels need: pose when categories have keypoints, segment when objects have outlines. */
export const yoloTask = (categories: readonly Category[], images: readonly ImageLabels[]): YoloTask => {
  if (categories.some((c) => c.keypoints?.length)) return 'pose';
  return images.some((i) => i.objects.some((o) => o.polygons?.length)) ? 'segment' : 'detect';
};

/** Keypoints per object in a pose dataset. */
export const keypointCount = (categories: readonly Category[]): number =>
  Math.max(0, ...categories.map((c) => c.keypoints?.length ?? 0));

/** The label file of one image: one line per object, values normalised to [0, 1]. */
export const writeYoloLabels = (labels: ImageLabels, task: YoloTask, keypoints: number): string => {
  const { width: w, height: h } = labels;
  const lines = labels.objects.map((o) => {
    const { box } = o;
    const head = [String(o.category)];
    if (task === 'segment') {
      const polygon = [...(o.polygons ?? [])].sort((a, b) => polygonArea(b) - polygonArea(a))[0] ?? boxCorners(box);
      return [...head, ...polygon.flatMap(([x, y]) => [unit(x / w), unit(y / h)])].join(' ');
    }
    const boxValues = [
      unit((box.x + box.width / 2) / w),
      unit((box.y + box.height / 2) / h),
      unit(box.width / w),
      unit(box.height / h),
    ];
    if (task === 'pose') {
      const points = Array.from({ length: keypoints }, (_, k) => o.keypoints?.[k] ?? { x: 0, y: 0, v: 0 as const });
      return [
        ...head,
        ...boxValues,
        ...points.flatMap((k) => (k.v === 0 ? ['0', '0', '0'] : [unit(k.x / w), unit(k.y / h), String(k.v)])),
      ].join(' ');
    }
    return [...head, ...boxValues].join(' ');
  });
  return lines.length ? `${lines.join('\n')}\n` : '';
};

/** data.yaml at the root of an export: split folders, class count and names (as a map, like Ultralytics). */
export const writeDataYaml = (categories: readonly Category[], splits: readonly Split[], keypoints: number): string => {
  const doc: Record<string, unknown> = {};
  const key: Record<Split, string> = { train: 'train', valid: 'val', test: 'test' };
  for (const split of splits) doc[key[split]] = `${split}/images`;
  doc.nc = categories.length;
  doc.names = Object.fromEntries(categories.map((c, i) => [i, c.name]));
  if (keypoints > 0) doc.kpt_shape = [keypoints, 3];
  return stringifyYaml(doc);
};
