import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  type DatasetFiles,
  dirOf,
  EDGE_TOLERANCE_PX,
  findImage,
  joinPath,
  type LabelledItem,
  numberAt,
  type OnLabelError,
  type ParsedDataset,
  Problems,
  splitOfPath,
  stemOf,
} from './dataset.js';
import { LabelError, lineAt } from './errors.js';
import type { Category, ImageLabels, LabelObject } from './model.js';

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'object' });

/** True when an XML text is a Pascal VOC annotation. */
export const looksLikeVoc = (text: string): boolean =>
  (/<annotation[\s>]/.test(text) && /<object[\s>]/.test(text)) ||
  (/<annotation[\s>]/.test(text) && /<filename[\s>]/.test(text));

/** The line of the n-th `<object>` of a file. */
const objectLine = (text: string, n: number): number | undefined => {
  let at = -1;
  for (let i = 0; i <= n; i++) {
    at = text.indexOf('<object', at + 1);
    if (at < 0) return undefined;
  }
  return lineAt(text, at);
};

interface VocFile {
  readonly file: string;
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly objects: { name: string; box: [number, number, number, number]; line?: number }[];
}

const readVocFile = (files: DatasetFiles, file: string, text: string): VocFile => {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new LabelError(file, valid.err.line, `not valid XML: ${valid.err.msg}`);
  const doc = parser.parse(text) as { annotation?: Record<string, unknown> };
  const a = doc.annotation;
  if (a === undefined) throw new LabelError(file, undefined, 'a VOC file needs an <annotation> root');
  const name = typeof a.filename === 'string' ? a.filename.trim() : '';
  const folder = dirOf(file);
  const parent = dirOf(folder);
  const candidates = [folder, joinPath(parent, 'JPEGImages'), '', 'JPEGImages'];
  let image = name ? findImage(files, name, candidates) : undefined;
  if (image === undefined) {
    const stem = stemOf(file);
    image = [...files.images.keys()].find(
      (p) => stemOf(p) === stem && (dirOf(p) === folder || dirOf(p) === joinPath(parent, 'JPEGImages')),
    );
  }
  if (image === undefined)
    throw new LabelError(
      file,
      lineAt(text, text.indexOf('<filename')),
      `image ${JSON.stringify(name)} is not in the zip`,
    );
  const size = files.images.get(image) as { width: number; height: number };
  const objects = ((a.object as Record<string, unknown>[] | undefined) ?? []).map((o, n) => {
    const line = objectLine(text, n);
    const label = typeof o.name === 'string' ? o.name.trim() : '';
    if (!label) throw new LabelError(file, line, 'an <object> needs a <name>');
    const b = o.bndbox as Record<string, unknown> | undefined;
    if (b === undefined) throw new LabelError(file, line, 'an <object> needs a <bndbox>');
    const box = (['xmin', 'ymin', 'xmax', 'ymax'] as const).map((k) => numberAt(b[k], file, line, k)) as [
      number,
      number,
      number,
      number,
    ];
    return { name: label, box, ...(line === undefined ? {} : { line }) };
  });
  return { file, image, width: size.width, height: size.height, objects };
};

/**
 * Reads Pascal VOC XML files (beside the images, or `Annotations/` with `JPEGImages/`). Boxes follow the
 * VOC devkit: 1-based pixel indices, both ends inclusive, so the box covers [xmin - 1, xmax] in pixels.
 */
export const parseVoc = (files: DatasetFiles, mode: OnLabelError): ParsedDataset => {
  const problems = new Problems(mode);
  const parsed: VocFile[] = [];
  for (const [file, text] of [...files.texts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (!file.toLowerCase().endsWith('.xml')) continue;
    try {
      parsed.push(readVocFile(files, file, text));
    } catch (error) {
      if (!(error instanceof LabelError)) throw error;
      problems.report(error, file);
    }
  }
  const names = [...new Set(parsed.flatMap((p) => p.objects.map((o) => o.name)))].sort();
  const categories: Category[] = names.map((name) => ({ name }));
  const items: LabelledItem[] = [];
  const claimed = new Set<string>();
  for (const voc of parsed) {
    const objects: LabelObject[] = [];
    try {
      for (const o of voc.objects) {
        const [xmin, ymin, xmax, ymax] = o.box;
        const x0 = xmin - 1;
        const y0 = ymin - 1;
        const t = EDGE_TOLERANCE_PX;
        if (xmax <= x0 || ymax <= y0) throw new LabelError(voc.file, o.line, `box ${o.box.join(', ')} has no area`);
        if (x0 < -t || y0 < -t || xmax > voc.width + t || ymax > voc.height + t) {
          throw new LabelError(
            voc.file,
            o.line,
            `box ${o.box.join(', ')} lies outside the ${voc.width}×${voc.height} image`,
          );
        }
        const cx = Math.max(0, x0);
        const cy = Math.max(0, y0);
        objects.push({
          category: names.indexOf(o.name),
          box: { x: cx, y: cy, width: Math.min(voc.width, xmax) - cx, height: Math.min(voc.height, ymax) - cy },
        });
      }
    } catch (error) {
      if (!(error instanceof LabelError)) throw error;
      problems.report(error, voc.image);
      continue;
    }
    if (claimed.has(voc.image)) continue;
    claimed.add(voc.image);
    const split = splitOfPath(voc.image) ?? splitOfPath(voc.file);
    items.push({
      image: voc.image,
      ...(split ? { split } : {}),
      labels: { width: voc.width, height: voc.height, objects },
    });
  }
  for (const path of files.images.keys()) {
    if (!claimed.has(path) && !problems.isBad(path))
      problems.skipped.push({ file: path, reason: 'no VOC file describes this image' });
  }
  return { format: 'voc', categories, items, skipped: problems.skipped };
};

const builder = new XMLBuilder({ format: true, indentBy: '  ' });

/** Two decimals: integer boxes stay integers, augmented ones keep their sub-pixel position. */
const two = (value: number): number => Math.round(value * 100) / 100;

/**
 * A VOC annotation for one image, boxes in the devkit's 1-based convention (xmin = left + 1,
 * xmax = right), clipped to the image, at least a hundredth of a pixel wide.
 */
export const writeVoc = (
  categories: readonly Category[],
  fileName: string,
  folder: string,
  labels: ImageLabels,
): string => {
  const objects = labels.objects.map((o) => {
    const left = Math.min(labels.width - 0.01, Math.max(0, two(o.box.x)));
    const top = Math.min(labels.height - 0.01, Math.max(0, two(o.box.y)));
    const xmin = two(left + 1);
    const ymin = two(top + 1);
    const xmax = Math.max(two(left + 0.01), Math.min(labels.width, two(o.box.x + o.box.width)));
    const ymax = Math.max(two(top + 0.01), Math.min(labels.height, two(o.box.y + o.box.height)));
    return {
      name: categories[o.category]?.name ?? String(o.category),
      pose: 'Unspecified',
      truncated: 0,
      difficult: 0,
      bndbox: { xmin, ymin, xmax, ymax },
    };
  });
  return builder.build({
    annotation: {
      folder,
      filename: fileName,
      size: { width: labels.width, height: labels.height, depth: 3 },
      segmented: 0,
      object: objects,
    },
  }) as string;
};
