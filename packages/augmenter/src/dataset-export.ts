import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import {
  type Category,
  type CocoImage,
  cocoDocument,
  type DatasetSpec,
  type DroppedLabel,
  type ImageLabels,
  isOriginalOutput,
  type JobState,
  keypointCount,
  SPLITS,
  type Split,
  writeDataYaml,
  writeVoc,
  writeYoloLabels,
  type YoloTask,
  yoloTask,
} from '@delta-augment/core';
import type { BlobStore, JobService } from '@delta-augment/ports';
import { manifestHeader, orderedVariants, type Placed, placeSources } from './all-sources.js';

/** Adds one file to the archive; resolves once it is written (so that one entry is in memory at a time). */
export type Add = (data: Readable | Buffer | string, name: string) => Promise<void>;

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

interface Followed {
  readonly labels: ImageLabels;
  readonly dropped: DroppedLabel[];
}

const extOf = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/**
 * Every completed output, named `<stem>_<index>.<ext>` (an original keeps its own name), from the job's
 * events read page by page, in a fixed order (split, source name, index: `orderedVariants`): a generator, so the
 * exporter can walk them as often as it needs, and every walk (images, COCO documents, manifest) lists them alike.
 */
async function* outputsOf(
  jobs: JobService,
  job: JobState,
  placements: ReadonlyMap<string, Placed>,
): AsyncGenerator<Output> {
  for await (const { placed, variant } of orderedVariants(jobs, job.id, placements)) {
    const { source, stem } = placed;
    const { sourceId } = source;
    const split = source.split ?? 'train';
    const original = isOriginalOutput(job, source, variant.index);
    const name = original ? stem : `${stem}_${String(variant.index).padStart(3, '0')}`;
    yield {
      split,
      stem: name,
      name: `${name}.${extOf(variant.key)}`,
      variantKey: variant.key,
      ...(variant.labels ? { labelsKey: variant.labels.key } : {}),
      folder: source.label,
      entry: {
        split,
        source: source.name,
        sourceId,
        index: variant.index,
        original,
        operations: variant.operations,
      },
    };
  }
}

const follow = async (blobs: BlobStore, output: Output): Promise<Followed | undefined> =>
  output.labelsKey ? (JSON.parse((await blobs.getBuffer(output.labelsKey)).toString('utf8')) as Followed) : undefined;

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

/** The YOLO task the labels need, read from them until one has an outline (categories with keypoints: pose). */
const yoloTaskOf = async (
  blobs: BlobStore,
  spec: DatasetSpec,
  outputs: () => AsyncIterable<Output>,
): Promise<YoloTask> => {
  if (spec.export !== 'yolo') return 'detect';
  if (yoloTask(spec.categories, []) === 'pose') return 'pose';
  for await (const output of outputs()) {
    const followed = await follow(blobs, output);
    if (followed && yoloTask(spec.categories, [followed.labels]) === 'segment') return 'segment';
  }
  return 'detect';
};

/** The manifest's entry of an output. */
const manifestEntry = (spec: DatasetSpec, output: Output, followed: Followed | undefined): DatasetManifestEntry => ({
  file: imagePath(spec, output, followed?.labels),
  ...output.entry,
  ...(followed ? { labels: { kept: followed.labels.objects.length, dropped: followed.dropped } } : {}),
});

async function* manifestJson(
  header: Record<string, unknown>,
  entries: AsyncIterable<DatasetManifestEntry>,
  tail: Record<string, unknown>,
): AsyncGenerator<string> {
  yield `{\n  "job": ${JSON.stringify(header)},\n  "variants": [`;
  let first = true;
  for await (const entry of entries) {
    yield `${first ? '\n' : ',\n'}    ${JSON.stringify(entry)}`;
    first = false;
  }
  const rest = Object.entries(tail).map(([key, value]) => `,\n  ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  yield `${first ? '' : '\n  '}]${rest.join('')}\n}\n`;
}

/**
 * Writes a labelled dataset job's outputs in the export layout other tools read: COCO
 * `<split>/_annotations.coco.json` beside the images; YOLO `data.yaml` + `<split>/images/` +
 * `<split>/labels/`; VOC `<split>/<name>.xml` beside `<split>/<name>.<ext>`; folders `<split>/<class>/`;
 * and `manifest.json`. Nothing is gathered: the outputs are walked from the job's events (again for each
 * file that lists them all: the COCO documents and the manifest), each image is copied as a stream, and
 * each label file is read when its output is written. Returns the number of outputs.
 */
export const exportDataset = async (blobs: BlobStore, jobs: JobService, job: JobState, add: Add): Promise<number> => {
  const spec = job.dataset;
  if (!spec) return 0;
  const { placements, failed } = await placeSources(jobs, job.id, (source) => source.split ?? 'train');
  const outputs = () => outputsOf(jobs, job, placements);
  const task = await yoloTaskOf(blobs, spec, outputs);
  const keypoints = task === 'pose' ? keypointCount(spec.categories) : 0;
  const splits = new Set<Split>();
  let count = 0;
  for await (const output of outputs()) {
    const followed = await follow(blobs, output);
    await add(await blobs.get(output.variantKey), imagePath(spec, output, followed?.labels));
    splits.add(output.split);
    count++;
    if (!followed) continue;
    if (spec.export === 'voc') {
      await add(
        writeVoc(spec.categories, output.name, output.split, followed.labels),
        `${output.split}/${output.stem}.xml`,
      );
    } else if (spec.export === 'yolo') {
      await add(writeYoloLabels(followed.labels, task, keypoints), `${output.split}/labels/${output.stem}.txt`);
    }
  }
  if (spec.export === 'coco') {
    for (const split of SPLITS.filter((s) => splits.has(s))) {
      const images = async function* (): AsyncGenerator<CocoImage> {
        for await (const output of outputs()) {
          if (output.split !== split) continue;
          const followed = await follow(blobs, output);
          if (followed) yield { fileName: output.name, labels: followed.labels };
        }
      };
      await add(ReadableStream.from(cocoDocument(spec.categories, images)), `${split}/_annotations.coco.json`);
    }
  }
  if (spec.export === 'yolo') {
    await add(
      writeDataYaml(
        spec.categories,
        [...SPLITS].filter((s) => splits.has(s)),
        keypoints,
      ),
      'data.yaml',
    );
  }
  const entries = async function* (): AsyncGenerator<DatasetManifestEntry> {
    for await (const output of outputs()) yield manifestEntry(spec, output, await follow(blobs, output));
  };
  const { skipped, ...described } = spec;
  const header = { ...manifestHeader(job), dataset: described };
  await add(ReadableStream.from(manifestJson(header, entries(), { failed, skipped })), 'manifest.json');
  return count;
};
