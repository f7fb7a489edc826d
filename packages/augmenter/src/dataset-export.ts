import {
  type Category,
  type DatasetSpec,
  type DroppedLabel,
  type ImageLabels,
  isOriginalOutput,
  type JobState,
  keypointCount,
  type SourceState,
  SPLITS,
  type Split,
  type VariantRecord,
  writeCoco,
  writeDataYaml,
  writeVoc,
  writeYoloLabels,
  yoloTask,
} from '@delta-augment/core';
import type { BlobStore } from '@delta-augment/ports';

/** A labelled dataset job with its sources and their variant records, as the exporters read it. */
export interface DatasetJob extends JobState {
  readonly sources: readonly (Omit<SourceState, 'variants'> & {
    readonly variants: Readonly<Record<number, VariantRecord>>;
  })[];
}

/** Adds one file to the archive. */
export type Append = (name: string, data: Buffer | string) => void;

/** One output of a labelled dataset job, as the manifest lists it. */
export interface DatasetManifestEntry {
  readonly file: string;
  readonly split: Split;
  readonly source: string;
  readonly sourceId: string;
  readonly index: number;
  readonly original: boolean;
  readonly operations: readonly { op: string; params: Readonly<Record<string, unknown>> }[];
  readonly labels?: { readonly kept: number; readonly dropped: readonly DroppedLabel[] };
}

interface Output {
  readonly split: Split;
  readonly name: string;
  readonly stem: string;
  readonly variantKey: string;
  readonly labelsKey?: string;
  readonly folder: string;
  readonly entry: Omit<DatasetManifestEntry, 'file' | 'labels'>;
}

const stemOf = (name: string): string => name.replace(/\.[^.]+$/, '') || 'image';
const extOf = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** Every completed output, named `<stem>_<index>.<ext>` (an original keeps its own name), unique in its split. */
const outputsOf = (state: DatasetJob): Output[] => {
  const seen = new Map<string, number>();
  const outputs: Output[] = [];
  for (const source of state.sources) {
    if (source.status !== 'completed') continue;
    const split = source.split ?? 'train';
    const base = stemOf(source.name);
    const count = seen.get(`${split}/${base}`) ?? 0;
    seen.set(`${split}/${base}`, count + 1);
    const stem = count === 0 ? base : `${base}_${source.sourceId.slice(-6)}`;
    for (const variant of Object.values(source.variants).sort((a, b) => a.index - b.index)) {
      const original = isOriginalOutput(state, source, variant.index);
      const name = original ? stem : `${stem}_${String(variant.index).padStart(3, '0')}`;
      outputs.push({
        split,
        stem: name,
        name: `${name}.${extOf(variant.key)}`,
        variantKey: variant.key,
        ...(variant.labels ? { labelsKey: variant.labels.key } : {}),
        folder: source.label,
        entry: {
          split,
          source: source.name,
          sourceId: source.sourceId,
          index: variant.index,
          original,
          operations: variant.operations,
        },
      });
    }
  }
  return outputs;
};

/** The class folder of an output exported as folders: its source's folder, else its largest object's class. */
const classFolder = (output: Output, labels: ImageLabels | undefined, categories: readonly Category[]): string => {
  if (output.folder) return output.folder;
  const largest = [...(labels?.objects ?? [])].sort(
    (a, b) => b.box.width * b.box.height - a.box.width * a.box.height,
  )[0];
  return largest ? (categories[largest.category]?.name ?? 'unlabelled') : 'unlabelled';
};

/** Where an output's image goes in the archive, per export layout. */
const imagePath = (spec: DatasetSpec, output: Output, labels: ImageLabels | undefined): string => {
  switch (spec.export) {
    case 'yolo':
      return `${output.split}/images/${output.name}`;
    case 'folders':
      return `${output.split}/${classFolder(output, labels, spec.categories)}/${output.name}`;
    default:
      return `${output.split}/${output.name}`;
  }
};

/**
 * Writes a labelled dataset's outputs in the export layout other tools read: COCO
 * `<split>/_annotations.coco.json` beside the images; YOLO `data.yaml` + `<split>/images/` +
 * `<split>/labels/`; VOC `<split>/<name>.xml` beside `<split>/<name>.<ext>`; folders `<split>/<class>/`.
 * Returns the manifest entries.
 */
export const appendDataset = async (
  blobs: BlobStore,
  state: DatasetJob,
  spec: DatasetSpec,
  append: Append,
): Promise<DatasetManifestEntry[]> => {
  const outputs = outputsOf(state);
  const entries: DatasetManifestEntry[] = [];
  const coco = new Map<Split, { fileName: string; labels: ImageLabels }[]>();
  const allLabels: ImageLabels[] = [];
  const task = spec.export === 'yolo' ? undefined : 'detect';
  const pending: { output: Output; labels?: ImageLabels }[] = [];
  for (const output of outputs) {
    const followed = output.labelsKey
      ? (JSON.parse((await blobs.getBuffer(output.labelsKey)).toString('utf8')) as {
          labels: ImageLabels;
          dropped: DroppedLabel[];
        })
      : undefined;
    if (followed) allLabels.push(followed.labels);
    const file = imagePath(spec, output, followed?.labels);
    append(file, await blobs.getBuffer(output.variantKey));
    entries.push({
      file,
      ...output.entry,
      ...(followed ? { labels: { kept: followed.labels.objects.length, dropped: followed.dropped } } : {}),
    });
    if (!followed) continue;
    if (spec.export === 'coco') {
      const list = coco.get(output.split) ?? [];
      list.push({ fileName: output.name, labels: followed.labels });
      coco.set(output.split, list);
    } else if (spec.export === 'voc') {
      append(
        `${output.split}/${output.stem}.xml`,
        writeVoc(spec.categories, output.name, output.split, followed.labels),
      );
    } else if (spec.export === 'yolo') {
      pending.push({ output, labels: followed.labels });
    }
  }
  if (spec.export === 'coco') {
    for (const [split, images] of coco) append(`${split}/_annotations.coco.json`, writeCoco(spec.categories, images));
  }
  if (spec.export === 'yolo') {
    const yolo = task ?? yoloTask(spec.categories, allLabels);
    const keypoints = yolo === 'pose' ? keypointCount(spec.categories) : 0;
    for (const { output, labels } of pending) {
      if (labels) append(`${output.split}/labels/${output.stem}.txt`, writeYoloLabels(labels, yolo, keypoints));
    }
    const splits = SPLITS.filter((s) => outputs.some((o) => o.split === s));
    append('data.yaml', writeDataYaml(spec.categories, splits, keypoints));
  }
  return entries;
};
