import { type JobState, outputsOf, progressOf, type SourceState } from '@delta-augment/core';
import type { JobService, SourcePage } from '@delta-augment/ports';

/** Sources listed by `GET /api/jobs/:id`; the rest are paged through `GET /api/jobs/:id/sources`. */
export const SOURCES_IN_VIEW = 100;
/** Sources listed per job in `GET /api/jobs` (enough for a title and a preview). */
export const SOURCES_IN_LIST = 5;

/** A labelled dataset's formats, classes and class counts before (sources) and after (outputs). */
const datasetView = (state: JobState, sources: readonly SourceState[]) => {
  const dataset = state.dataset;
  if (!dataset) return undefined;
  const after = dataset.categories.map(() => 0);
  let dropped = 0;
  for (const source of sources) {
    source.labelsKept?.forEach((n, c) => {
      after[c] = (after[c] ?? 0) + n;
    });
    dropped += source.labelsDropped ?? 0;
  }
  return {
    format: dataset.format,
    export: dataset.export,
    minVisibility: dataset.minVisibility,
    augmentSplits: dataset.augmentSplits,
    includeOriginals: dataset.includeOriginals,
    split: dataset.split ? dataset.split.join(',') : undefined,
    categories: dataset.categories.map((c) => c.name),
    counts: { before: dataset.counts ?? dataset.categories.map(() => 0), after, dropped },
    skipped: dataset.skippedCount ?? dataset.skipped.length,
  };
};

export const sourceView = (s: SourceState, state?: Pick<JobState, 'dataset' | 'variantsPerSource'>) => ({
  sourceId: s.sourceId,
  name: s.name,
  label: s.label,
  status: s.status,
  width: s.width,
  height: s.height,
  bytes: s.bytes,
  format: s.format,
  attempts: s.attempts,
  failure: s.failure,
  variants: s.variants,
  written: s.written,
  ext: s.ext,
  outputs: state ? outputsOf(state, s) : undefined,
  split: s.split,
});

/**
 * The public shape of a job (GET /api/jobs/:id): constant size whatever the job's. `sources` holds the first
 * page of its sources (`sourcesCursor` continues them), `counts` sums up all of them.
 */
export const jobView = (state: JobState, sources: SourcePage, allSources?: readonly SourceState[]) => ({
  id: state.id,
  owner: state.owner,
  status: state.status,
  progress: progressOf(state),
  sources: sources.items.map((s) => sourceView(s, state)),
  sourcesCursor: sources.cursor,
  sourceCount: state.sourceCount,
  counts: state.counts,
  tags: state.tags,
  variantsPerSource: state.variantsPerSource,
  pipeline: { preset: state.pipeline.preset, seed: state.pipeline.seed, custom: state.pipeline.spec !== undefined },
  createdAt: state.createdAt,
  updatedAt: state.updatedAt,
  expiresAt: state.expiresAt,
  version: state.version,
  failure: state.failure,
  archive: state.archive ? { bytes: state.archive.bytes, count: state.archive.count } : undefined,
  dataset: datasetView(state, allSources ?? sources.items),
});

/** The view of a job with the first `limit` of its sources. */
export const loadView = async (jobs: JobService, state: JobState, limit = SOURCES_IN_VIEW) => {
  const page = await jobs.sources(state.id, { limit });
  if (!state.dataset || !page.cursor) return jobView(state, page);
  // A labelled dataset's class counts after augmentation sum over every source (one small record each).
  const all = [...page.items];
  for (let cursor: string | undefined = page.cursor; cursor; ) {
    const next = await jobs.sources(state.id, { limit: 1000, cursor });
    all.push(...next.items);
    cursor = next.cursor;
  }
  return jobView(state, page, all);
};

export type JobView = ReturnType<typeof jobView>;

export const sourceViewSchema = {
  type: 'object',
  properties: {
    sourceId: { type: 'string' },
    name: { type: 'string' },
    label: { type: 'string' },
    status: { type: 'string' },
    width: { type: 'integer' },
    height: { type: 'integer' },
    bytes: { type: 'integer' },
    format: { type: 'string' },
    attempts: { type: 'integer' },
    failure: { type: 'string' },
    variants: { type: 'integer' },
    written: { type: 'string', description: 'the recorded variant indices, as a hex bitmap (bit i = variant i)' },
    ext: { type: 'string', description: 'the extension of the variant files' },
    outputs: { type: 'integer', description: 'outputs the source makes (variants, and originals of datasets)' },
    split: { type: 'string' },
  },
} as const;

const jobCountsSchema = {
  type: 'object',
  description: 'over all sources: uploaded, started (events), settled, failed, variants',
  properties: {
    uploaded: { type: 'integer' },
    started: { type: 'integer' },
    settled: { type: 'integer' },
    failed: { type: 'integer' },
    variants: { type: 'integer' },
  },
} as const;

/** Objects per category index. */
const countsSchema = { type: 'array', items: { type: 'integer' } } as const;

const datasetViewSchema = {
  type: 'object',
  description: 'labelled datasets only',
  properties: {
    format: { type: 'string' },
    export: { type: 'string' },
    minVisibility: { type: 'number' },
    augmentSplits: { type: 'string' },
    includeOriginals: { type: 'boolean' },
    split: { type: 'string' },
    categories: { type: 'array', items: { type: 'string' } },
    counts: {
      type: 'object',
      description: 'objects per category in the sources (before) and in the outputs so far (after)',
      properties: { before: countsSchema, after: countsSchema, dropped: { type: 'integer' } },
    },
    skipped: { type: 'integer', description: 'items onLabelError=skip left out (listed in the manifest)' },
  },
} as const;

/** JSON schema used to serialise job views. */
export const jobViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    owner: { type: 'string' },
    status: { type: 'string', enum: ['created', 'queued', 'processing', 'completed', 'failed'] },
    progress: { type: 'object', properties: { done: { type: 'integer' }, total: { type: 'integer' } } },
    sources: {
      type: 'array',
      items: sourceViewSchema,
      description: `the first ${SOURCES_IN_VIEW} sources; GET /api/jobs/:id/sources pages through all`,
    },
    sourcesCursor: { type: 'string', description: 'the cursor of the next page of sources, if any' },
    sourceCount: { type: 'integer' },
    counts: jobCountsSchema,
    tags: { type: 'array', items: { type: 'string' } },
    variantsPerSource: { type: 'integer' },
    pipeline: {
      type: 'object',
      properties: { preset: { type: 'string' }, seed: { type: 'integer' }, custom: { type: 'boolean' } },
    },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    expiresAt: { type: 'string' },
    version: { type: 'integer' },
    failure: { type: 'string' },
    archive: { type: 'object', properties: { bytes: { type: 'integer' }, count: { type: 'integer' } } },
    dataset: datasetViewSchema,
    webhook: {
      type: 'object',
      description: 'the webhook, its status and every delivery attempt (the secret only in the creation answer)',
      properties: {
        url: { type: 'string' },
        secret: { type: 'string' },
        status: { type: 'string', enum: ['waiting', 'pending', 'delivered', 'failed'] },
        attempts: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              attempt: { type: 'integer' },
              at: { type: 'string' },
              ok: { type: 'boolean' },
              status: { type: 'integer' },
              error: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;
