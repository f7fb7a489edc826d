import {
  assignSplits,
  type DatasetFiles,
  type DatasetSpec,
  detectFormat,
  type ImageLabels,
  LABEL_FORMATS,
  LabelError,
  type LabelFormat,
  type OnLabelError,
  type ParsedDataset,
  parseLabelled,
  parseSplitPercents,
  type Split,
  type SplitPercents,
} from '@delta-augment/core';
import type { DatasetZip } from './dataset-zip.js';
import { badRequest, RequestError } from './errors.js';

/** The labelled-dataset fields of a job form. */
export interface DatasetFields {
  readonly format: LabelFormat | 'auto';
  readonly export?: LabelFormat;
  readonly split?: SplitPercents;
  readonly onLabelError: OnLabelError;
  readonly minVisibility: number;
  readonly augmentSplits: 'train' | 'all';
  readonly includeOriginals: boolean;
}

const text = (raw: unknown): string | undefined => (raw === undefined || raw === '' ? undefined : String(raw).trim());

const oneOf = <T extends string>(field: string, raw: unknown, values: readonly T[], fallback: T): T => {
  const value = text(raw);
  if (value === undefined) return fallback;
  if (!(values as readonly string[]).includes(value)) {
    throw badRequest(field, `${field} must be one of ${values.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`);
  }
  return value as T;
};

/** Reads and checks the fields `format`, `export`, `split`, `onLabelError`, `minVisibility`, `augmentSplits`, `includeOriginals`. */
export const parseDatasetFields = (fields: Record<string, unknown>): DatasetFields => {
  const format = oneOf('format', fields.format, ['auto', ...LABEL_FORMATS], 'auto');
  const exported =
    text(fields.export) === undefined ? undefined : oneOf('export', fields.export, LABEL_FORMATS, 'coco');
  const rawSplit = text(fields.split);
  const split = rawSplit === undefined ? undefined : parseSplitPercents(rawSplit);
  if (rawSplit !== undefined && split === undefined) {
    throw badRequest(
      'split',
      `split must be three whole percentages for train, valid and test that add up to 100, e.g. 80,10,10; got ${JSON.stringify(rawSplit.slice(0, 40))}`,
    );
  }
  const rawVisibility = text(fields.minVisibility);
  const minVisibility = rawVisibility === undefined ? 0.25 : Number(rawVisibility);
  if (!Number.isFinite(minVisibility) || minVisibility < 0 || minVisibility > 1) {
    throw badRequest(
      'minVisibility',
      `minVisibility must be a number from 0 to 1, got ${JSON.stringify(rawVisibility)}`,
    );
  }
  return {
    format,
    ...(exported ? { export: exported } : {}),
    ...(split ? { split } : {}),
    onLabelError: oneOf('onLabelError', fields.onLabelError, ['fail', 'skip'], 'fail'),
    minVisibility,
    augmentSplits: oneOf('augmentSplits', fields.augmentSplits, ['train', 'all'], 'train'),
    includeOriginals: oneOf('includeOriginals', fields.includeOriginals, ['true', 'false'], 'false') === 'true',
  };
};

/** True when the fields ask for anything beyond a plain class-folder job. */
export const wantsDatasetJob = (fields: DatasetFields, detected: LabelFormat): boolean =>
  detected !== 'folders' || fields.export !== undefined || fields.split !== undefined || fields.includeOriginals;

/** One image of a labelled dataset, ready to become a source. */
export interface LabelledImage {
  readonly path: string;
  readonly split: Split;
  readonly labels: ImageLabels;
}

export interface PreparedDataset {
  readonly spec: DatasetSpec;
  /** By image path in the zip; images not listed here are not part of the job. */
  readonly images: ReadonlyMap<string, LabelledImage>;
}

/** A label problem as a 422 that names the file and line. */
const labelRequestError = (error: LabelError, field: string): RequestError =>
  new RequestError('INVALID_LABELS', error.message, 422, field);

/** The format of a dataset zip: the field's, or detected from the files. */
export const datasetFormat = (fields: DatasetFields, files: DatasetFiles): LabelFormat =>
  fields.format === 'auto' ? detectFormat(files) : fields.format;

/**
 * Parses a labelled dataset, assigns splits (the input's own unless `split` is given; everything in
 * `train` otherwise) and builds the job's dataset spec. Label problems are a 422 naming the file and
 * line, or, with `onLabelError=skip`, items listed in the spec.
 */
export const prepareDataset = (
  zip: {
    readonly images: readonly { readonly path: string; readonly label: string }[];
    readonly texts: DatasetZip['texts'];
  },
  sizes: ReadonlyMap<string, { width: number; height: number }>,
  fields: DatasetFields,
  format: LabelFormat,
  seed: number,
  field: string,
): PreparedDataset => {
  const files: DatasetFiles = { texts: zip.texts, images: sizes };
  let parsed: ParsedDataset;
  if (format === 'folders') {
    const names = [...new Set(zip.images.map((i) => i.label || 'unlabelled'))].sort();
    parsed = {
      format,
      categories: names.map((name) => ({ name })),
      skipped: [],
      items: zip.images.map((image) => {
        const size = sizes.get(image.path) as { width: number; height: number };
        return {
          image: image.path,
          folder: image.label || 'unlabelled',
          labels: { width: size.width, height: size.height, objects: [] },
        };
      }),
    };
  } else {
    try {
      parsed = parseLabelled(format, files, fields.onLabelError);
    } catch (error) {
      if (error instanceof LabelError) throw labelRequestError(error, field);
      throw error;
    }
  }
  if (parsed.items.length === 0) {
    throw badRequest(field, `the ${format} dataset has no usable images`, 'EMPTY_DATASET');
  }
  const exported = fields.export ?? format;
  if (exported !== 'folders' && format === 'folders') {
    throw badRequest(
      'export',
      `export=${exported} needs labels; a class-folder dataset can only be exported as folders`,
    );
  }
  const classesOf = (item: ParsedDataset['items'][number]): number[] =>
    item.folder !== undefined
      ? [parsed.categories.findIndex((c) => c.name === item.folder)]
      : item.labels.objects.map((o) => o.category);
  const given = fields.split
    ? assignSplits(
        parsed.items.map((i) => ({ key: i.image, classes: classesOf(i) })),
        fields.split,
        seed,
      )
    : undefined;
  const images = new Map<string, LabelledImage>();
  for (const item of parsed.items) {
    images.set(item.image, {
      path: item.image,
      split: given?.get(item.image) ?? item.split ?? 'train',
      labels: item.labels,
    });
  }
  const counts = parsed.categories.map(() => 0);
  for (const image of images.values())
    for (const o of image.labels.objects) counts[o.category] = (counts[o.category] ?? 0) + 1;
  if (format === 'folders')
    for (const item of parsed.items) for (const c of classesOf(item)) counts[c] = (counts[c] ?? 0) + 1;
  const spec: DatasetSpec = {
    format,
    export: exported,
    categories: parsed.categories,
    minVisibility: fields.minVisibility,
    augmentSplits: fields.augmentSplits,
    includeOriginals: fields.includeOriginals,
    ...(fields.split ? { split: fields.split } : {}),
    skipped: parsed.skipped,
    counts,
  };
  return { spec, images };
};
