import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { blobKeys, type JobState, type VariantRecord } from '@delta-augment/core';
import type { BlobStore, JobService } from '@delta-augment/ports';
import { manifestHeader, orderedVariants, type Placed, placeSources } from './all-sources.js';
import { type ArchiveZipOptions, archiveZip } from './archive-zip.js';
import { type Add, exportDataset } from './dataset-export.js';

/** A fixed date for zip entries so that the same variants always give the same archive bytes. */
const ENTRY_DATE = new Date('2020-01-01T00:00:00Z');

export interface ManifestEntry {
  readonly file: string;
  readonly label: string;
  readonly source: string;
  readonly sourceId: string;
  readonly index: number;
  readonly operations: readonly { op: string; params: Readonly<Record<string, unknown>> }[];
}

const extOf = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** The variants of the completed sources in the archive's order, from the job's `VariantsWritten` events read page by page. */
async function* variantsOf(
  jobs: JobService,
  jobId: string,
  placements: ReadonlyMap<string, Placed>,
): AsyncGenerator<ManifestEntry & { readonly key: string }> {
  for await (const { placed, variant } of orderedVariants(jobs, jobId, placements)) yield entryOf(placed, variant);
}

const entryOf = ({ source, stem }: Placed, v: VariantRecord): ManifestEntry & { key: string } => ({
  file: `${source.label ? `${source.label}/` : ''}${stem}_${String(v.index).padStart(3, '0')}.${extOf(v.key)}`,
  label: source.label,
  source: source.name,
  sourceId: source.sourceId,
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
 * archive needs them (over 65,535 entries or 4 GB), or always with `forceZip64`. A write that fails
 * leaves nothing in the store (the blob store removes its temp file) and rejects.
 */
export const writeArchive = async (
  blobs: BlobStore,
  jobs: JobService,
  job: JobState,
  options: ArchiveZipOptions = {},
): Promise<{ key: string; bytes: number; count: number }> => {
  const zip = archiveZip(options);
  const out = new PassThrough();
  zip.pipe(out);
  const key = blobKeys.archive(job.id);
  const upload = blobs.put(key, out, { contentType: 'application/zip' });
  // Awaited below; handled now so that an upload failing early is not an unhandled rejection meanwhile.
  upload.catch(() => undefined);
  const add: Add = async (source, name) => {
    const written = once(zip, 'entry');
    zip.append(source, { name, date: ENTRY_DATE });
    await written;
  };
  let count = 0;
  try {
    count = job.dataset ? await exportDataset(blobs, jobs, job, add) : await appendVariants(blobs, jobs, job, add);
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

/** The variants of a job without labels, each in its source's label folder, and the manifests. */
const appendVariants = async (blobs: BlobStore, jobs: JobService, job: JobState, add: Add): Promise<number> => {
  const { placements, failed } = await placeSources(jobs, job.id, (source) => source.label);
  let count = 0;
  for await (const entry of variantsOf(jobs, job.id, placements)) {
    // One variant whole (a read or two) costs less CPU than a stream of it; the job is never held whole.
    await add(await blobs.getBuffer(entry.key), entry.file);
    count++;
  }
  await add(
    Readable.from(manifestJson(manifestHeader(job), variantsOf(jobs, job.id, placements), failed)),
    'manifest.json',
  );
  await add(Readable.from(manifestCsvStream(variantsOf(jobs, job.id, placements))), 'manifest.csv');
  return count;
};
