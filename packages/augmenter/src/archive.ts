import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { blobKeys, type JobState, type VariantRecord } from '@delta-augment/core';
import type { BlobStore, JobService } from '@delta-augment/ports';
import { ZipArchive } from 'archiver';
import { allSources } from './all-sources.js';
import { appendDataset, type DatasetJob } from './dataset-export.js';

/** A fixed date for zip entries so that the same variants always give the same archive bytes. */
const ENTRY_DATE = new Date('2020-01-01T00:00:00Z');
/** Events read per page while the archive is assembled. */
const EVENT_PAGE = 500;

export interface ManifestEntry {
  readonly file: string;
  readonly label: string;
  readonly source: string;
  readonly sourceId: string;
  readonly index: number;
  readonly operations: readonly { op: string; params: Readonly<Record<string, unknown>> }[];
}

const stemOf = (name: string): string => name.replace(/\.[^.]+$/, '') || 'image';
const extOf = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** Where a completed source's variants go in the archive. */
interface Placement {
  readonly folder: string;
  readonly stem: string;
  readonly label: string;
  readonly name: string;
}

/**
 * What the archive needs of the sources, read page by page from their records: where each completed
 * source's variants go (the dataset's label folders; equal names in one folder get the source id
 * appended) and why the others failed. One small entry per source, never per variant.
 */
const placeSources = async (jobs: JobService, jobId: string) => {
  const seen = new Map<string, number>();
  const placements = new Map<string, Placement>();
  const failed: { source: string; label: string; reason: string }[] = [];
  for await (const source of allSources(jobs, jobId)) {
    if (source.status !== 'completed') {
      failed.push({ source: source.name, label: source.label, reason: source.failure ?? source.status });
      continue;
    }
    const folder = source.label ? `${source.label}/` : '';
    const stemKey = `${folder}${stemOf(source.name)}`;
    const count = seen.get(stemKey) ?? 0;
    seen.set(stemKey, count + 1);
    const stem = count === 0 ? stemOf(source.name) : `${stemOf(source.name)}_${source.sourceId.slice(-6)}`;
    placements.set(source.sourceId, { folder, stem, label: source.label, name: source.name });
  }
  return { placements, failed };
};

/** The variants of the completed sources, from the job's `VariantsWritten` events read page by page. */
async function* variantsOf(
  jobs: JobService,
  jobId: string,
  placements: ReadonlyMap<string, Placement>,
): AsyncGenerator<ManifestEntry & { readonly key: string }> {
  for (let after = 0; ; ) {
    const events = await jobs.read(jobId, after, EVENT_PAGE);
    for (const event of events) {
      if (event.type !== 'VariantsWritten') continue;
      const place = placements.get(event.data.sourceId);
      if (!place) continue;
      for (const v of event.data.variants) yield entryOf(event.data.sourceId, place, v);
    }
    const last = events.at(-1);
    if (!last || events.length < EVENT_PAGE) return;
    after = last.seq;
  }
}

const entryOf = (sourceId: string, place: Placement, v: VariantRecord): ManifestEntry & { key: string } => ({
  file: `${place.folder}${place.stem}_${String(v.index).padStart(3, '0')}.${extOf(v.key)}`,
  label: place.label,
  source: place.name,
  sourceId,
  index: v.index,
  operations: v.operations,
  key: v.key,
});

/**
 * A CSV cell, quoted when needed; a value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
 * gets a leading `'` (OWASP's CSV-injection advice), so a file name or label can never become a formula.
 */
const csvCell = (raw: string): string => {
  const value = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
};

export const manifestCsvLine = (e: ManifestEntry): string =>
  `${[e.file, e.label, e.source, String(e.index), JSON.stringify(e.operations)].map(csvCell).join(',')}\n`;

/** The manifest as CSV, for a list of entries already in memory. */
export const manifestCsv = (entries: readonly ManifestEntry[]): string =>
  `file,label,source,index,operations\n${entries.map(manifestCsvLine).join('')}`;

const publicEntry = ({ key: _key, ...entry }: ManifestEntry & { key: string }): ManifestEntry => entry;

/**
 * Streams the job's completed variants and the manifest into one zip in the blob store. Nothing of the
 * job is held whole: variants come from paged event reads and are copied one at a time (the next entry
 * starts when the previous one is written), the manifests are generated while they are zipped, and
 * the zip goes to storage as a stream (S3 multipart upload on AWS). Zip64 records are written when the
 * archive needs them (over 65,535 entries or 4 GB).
 */
export const writeArchive = async (
  blobs: BlobStore,
  jobs: JobService,
  job: JobState,
): Promise<{ key: string; bytes: number; count: number }> => {
  const { placements, failed } = await placeSources(jobs, job.id);
  const zip = new ZipArchive({ zlib: { level: 0 }, store: true });
  const out = new PassThrough();
  zip.pipe(out);
  const key = blobKeys.archive(job.id);
  const upload = blobs.put(key, out, { contentType: 'application/zip' });
  // Awaited below; handled now so that an upload failing early is not an unhandled rejection meanwhile.
  upload.catch(() => undefined);
  const add = async (source: Readable | Buffer | string, name: string) => {
    const written = once(zip, 'entry');
    zip.append(source, { name, date: ENTRY_DATE });
    await written;
  };
  let count = 0;
  try {
    if (job.dataset) {
      count = await appendLabelledDataset(blobs, jobs, job, (name, data) =>
        zip.append(data, { name, date: ENTRY_DATE }),
      );
      await zip.finalize();
      return { key, bytes: (await upload).size, count };
    }
    for await (const entry of variantsOf(jobs, job.id, placements)) {
      // One variant whole (a read or two) costs less CPU than a stream of it; the job is never held whole.
      await add(await blobs.getBuffer(entry.key), entry.file);
      count++;
    }
    const header = {
      id: job.id,
      pipeline: job.pipeline,
      variantsPerSource: job.variantsPerSource,
      tags: job.tags,
      createdAt: job.createdAt,
    };
    await add(Readable.from(manifestJson(header, variantsOf(jobs, job.id, placements), failed)), 'manifest.json');
    await add(Readable.from(manifestCsvStream(variantsOf(jobs, job.id, placements))), 'manifest.csv');
    await zip.finalize();
  } catch (error) {
    zip.abort();
    out.destroy(error as Error);
    await upload.catch(() => undefined);
    throw error;
  }
  const head = await upload;
  return { key, bytes: head.size, count };
};

async function* manifestJson(
  job: Record<string, unknown>,
  entries: AsyncIterable<ManifestEntry & { key: string }>,
  failed: readonly unknown[],
): AsyncGenerator<string> {
  yield `{\n  "job": ${JSON.stringify(job)},\n  "variants": [`;
  let first = true;
  for await (const entry of entries) {
    yield `${first ? '\n' : ',\n'}    ${JSON.stringify(publicEntry(entry))}`;
    first = false;
  }
  yield `${first ? '' : '\n  '}],\n  "failed": ${JSON.stringify(failed)}\n}\n`;
}

async function* manifestCsvStream(entries: AsyncIterable<ManifestEntry & { key: string }>): AsyncGenerator<string> {
  yield 'file,label,source,index,operations\n';
  for await (const entry of entries) yield manifestCsvLine(entry);
}

/**
 * A labelled dataset's archive (COCO, YOLO, VOC or class folders with the manifest). Its exporters write
 * per-split annotation files that list every output, so they take the job's sources with their variant
 * records, gathered here from the source records and the `VariantsWritten` events.
 */
const appendLabelledDataset = async (
  blobs: BlobStore,
  jobs: JobService,
  job: JobState,
  append: (name: string, data: Buffer | string) => void,
): Promise<number> => {
  const dataset = job.dataset;
  if (!dataset) return 0;
  const sources = new Map<string, DatasetJob['sources'][number]>();
  for await (const source of allSources(jobs, job.id)) sources.set(source.sourceId, { ...source, variants: {} });
  for (let after = 0; ; ) {
    const events = await jobs.read(job.id, after, EVENT_PAGE);
    for (const event of events) {
      if (event.type !== 'VariantsWritten') continue;
      const source = sources.get(event.data.sourceId);
      if (!source) continue;
      const variants = { ...source.variants };
      for (const v of event.data.variants) variants[v.index] = v;
      sources.set(source.sourceId, { ...source, variants });
    }
    const last = events.at(-1);
    if (!last || events.length < EVENT_PAGE) break;
    after = last.seq;
  }
  const state: DatasetJob = { ...job, sources: [...sources.values()] };
  const { skipped, ...spec } = dataset;
  const entries = await appendDataset(blobs, state, dataset, append);
  const failed = state.sources
    .filter((s) => s.status !== 'completed')
    .map((s) => ({ source: s.name, label: s.label, reason: s.failure ?? s.status }));
  const header = {
    id: job.id,
    pipeline: job.pipeline,
    variantsPerSource: job.variantsPerSource,
    tags: job.tags,
    createdAt: job.createdAt,
    dataset: spec,
  };
  const manifest = { job: header, variants: entries, failed, skipped };
  append('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return entries.length;
};
