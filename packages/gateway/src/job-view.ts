import { type JobState, progressOf } from '@delta-augment/core';

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
  },
} as const;
