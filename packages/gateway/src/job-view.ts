import { type JobState, outputsOf, progressOf } from '@delta-augment/core';

/** A labelled dataset's formats, classes and class counts before (sources) and after (outputs). */
const datasetView = (state: JobState) => {
  const dataset = state.dataset;
  if (!dataset) return undefined;
  const after = dataset.categories.map(() => 0);
  let dropped = 0;
  for (const source of state.sources) {
    for (const variant of Object.values(source.variants)) {
      variant.labels?.kept.forEach((n, c) => {
        after[c] = (after[c] ?? 0) + n;
      });
      dropped += variant.labels?.dropped ?? 0;
    }
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
    skipped: dataset.skipped.length,
  };
};

/** The public shape of a job (GET /api/jobs/:id). */
export const jobView = (state: JobState) => ({
  id: state.id,
  owner: state.owner,
  status: state.status,
  progress: progressOf(state),
  sources: state.sources.map((s) => ({
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
    variants: Object.keys(s.variants).length,
    outputs: outputsOf(state, s),
    split: s.split,
  })),
  tags: state.tags,
  variantsPerSource: state.variantsPerSource,
  pipeline: { preset: state.pipeline.preset, seed: state.pipeline.seed, custom: state.pipeline.spec !== undefined },
  createdAt: state.createdAt,
  updatedAt: state.updatedAt,
  expiresAt: state.expiresAt,
  version: state.version,
  failure: state.failure,
  archive: state.archive ? { bytes: state.archive.bytes, count: state.archive.count } : undefined,
  dataset: datasetView(state),
});

export type JobView = ReturnType<typeof jobView>;

const sourceViewSchema = {
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
    outputs: { type: 'integer', description: 'outputs this source makes (variants, plus or instead of its original)' },
    split: { type: 'string', enum: ['train', 'valid', 'test'] },
  },
} as const;

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
    sources: { type: 'array', items: sourceViewSchema },
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
