import { PassThrough } from 'node:stream';
import { blobKeys, type JobState } from '@delta-augment/core';
import type { BlobStore } from '@delta-augment/ports';
import { ZipArchive } from 'archiver';
import { appendDataset, type DatasetManifestEntry } from './dataset-export.js';

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

const stemOf = (name: string): string => name.replace(/\.[^.]+$/, '') || 'image';
const extOf = (key: string): string => key.slice(key.lastIndexOf('.') + 1);

/** Archive paths keep the dataset's label folders; equal names in one folder get the source id appended. */
export const manifestOf = (state: JobState): ManifestEntry[] => {
  const seen = new Map<string, number>();
  const entries: ManifestEntry[] = [];
  for (const source of state.sources) {
    if (source.status !== 'completed') continue;
    const folder = source.label ? `${source.label}/` : '';
    const stemKey = `${folder}${stemOf(source.name)}`;
    const count = seen.get(stemKey) ?? 0;
    seen.set(stemKey, count + 1);
    const stem = count === 0 ? stemOf(source.name) : `${stemOf(source.name)}_${source.sourceId.slice(-6)}`;
    for (const variant of Object.values(source.variants).sort((a, b) => a.index - b.index)) {
      entries.push({
        file: `${folder}${stem}_${String(variant.index).padStart(3, '0')}.${extOf(variant.key)}`,
        label: source.label,
        source: source.name,
        sourceId: source.sourceId,
        index: variant.index,
        operations: variant.operations,
      });
    }
  }
  return entries;
};

/**
 * A CSV cell, quoted when needed; a value a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first)
 * gets a leading `'` (OWASP's CSV-injection advice), so a file name or label can never become a formula.
 */
const csvCell = (raw: string): string => {
  const value = /^[=+\-@\t\r]/.test(raw) ? `'${raw}` : raw;
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
};

export const manifestCsv = (entries: readonly ManifestEntry[]): string =>
  `${[
    'file,label,source,index,operations',
    ...entries.map((e) =>
      [e.file, e.label, e.source, String(e.index), JSON.stringify(e.operations)].map(csvCell).join(','),
    ),
  ].join('\n')}\n`;

/** Streams the job's completed variants and the manifest into one zip in the blob store. */
export const writeArchive = async (
  blobs: BlobStore,
  state: JobState,
): Promise<{ key: string; bytes: number; count: number }> => {
  const entries = manifestOf(state);
  const keyOf = new Map(
    state.sources.flatMap((s) => Object.values(s.variants).map((v) => [`${s.sourceId}/${v.index}`, v.key] as const)),
  );
  const zip = new ZipArchive({ zlib: { level: 0 }, store: true });
  const out = new PassThrough();
  zip.pipe(out);
  const key = blobKeys.archive(state.id);
  const upload = blobs.put(key, out, { contentType: 'application/zip' });
  // Awaited below; handled now so that an upload failing early is not an unhandled rejection meanwhile.
  upload.catch(() => undefined);
  const failed = state.sources
    .filter((s) => s.status !== 'completed')
    .map((s) => ({ source: s.name, label: s.label, reason: s.failure ?? s.status }));
  const job = {
    id: state.id,
    pipeline: state.pipeline,
    variantsPerSource: state.variantsPerSource,
    tags: state.tags,
    createdAt: state.createdAt,
  };
  let variants: readonly (ManifestEntry | DatasetManifestEntry)[] = entries;
  try {
    if (state.dataset) {
      const { skipped, ...dataset } = state.dataset;
      variants = await appendDataset(blobs, state, state.dataset, (name, data) =>
        zip.append(data, { name, date: ENTRY_DATE }),
      );
      const manifest = { job: { ...job, dataset }, variants, failed, skipped };
      zip.append(`${JSON.stringify(manifest, null, 2)}\n`, { name: 'manifest.json', date: ENTRY_DATE });
    } else {
      for (const entry of entries) {
        const variantKey = keyOf.get(`${entry.sourceId}/${entry.index}`);
        if (!variantKey) continue;
        zip.append(await blobs.getBuffer(variantKey), { name: entry.file, date: ENTRY_DATE });
      }
      const manifest = { job, variants: entries, failed };
      zip.append(`${JSON.stringify(manifest, null, 2)}\n`, { name: 'manifest.json', date: ENTRY_DATE });
      zip.append(manifestCsv(entries), { name: 'manifest.csv', date: ENTRY_DATE });
    }
    await zip.finalize();
  } catch (error) {
    zip.abort();
    out.destroy(error as Error);
    await upload.catch(() => undefined);
    throw error;
  }
  const head = await upload;
  return { key, bytes: head.size, count: variants.length };
};
