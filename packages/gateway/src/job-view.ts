import { type JobState, progressOf, type SourceState } from '@delta-augment/core';
import type { JobService, SourcePage } from '@delta-augment/ports';

/** Sources listed by `GET /api/jobs/:id`; the rest are paged through `GET /api/jobs/:id/sources`. */
export const SOURCES_IN_VIEW = 100;
/** Sources listed per job in `GET /api/jobs` (enough for a title and a preview). */
export const SOURCES_IN_LIST = 5;

export const sourceView = (s: SourceState) => ({
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
});

/**
 * The public shape of a job (GET /api/jobs/:id): constant size whatever the job's. `sources` holds the first
 * page of its sources (`sourcesCursor` continues them), `counts` sums up all of them.
 */
export const jobView = (state: JobState, sources: SourcePage) => ({
  id: state.id,
  status: state.status,
  progress: progressOf(state),
  sources: sources.items.map(sourceView),
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
});

/** The view of a job with the first `limit` of its sources. */
export const loadView = async (jobs: JobService, state: JobState, limit = SOURCES_IN_VIEW) =>
  jobView(state, await jobs.sources(state.id, { limit }));

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
  },
} as const;

const countsSchema = {
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

/** JSON schema used to serialise job views. */
export const jobViewSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    status: { type: 'string', enum: ['created', 'queued', 'processing', 'completed', 'failed'] },
    progress: { type: 'object', properties: { done: { type: 'integer' }, total: { type: 'integer' } } },
    sources: {
      type: 'array',
      items: sourceViewSchema,
      description: `the first ${SOURCES_IN_VIEW} sources; GET /api/jobs/:id/sources pages through all`,
    },
    sourcesCursor: { type: 'string', description: 'the cursor of the next page of sources, if any' },
    sourceCount: { type: 'integer' },
    counts: countsSchema,
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
