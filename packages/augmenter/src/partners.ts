import {
  type ImageLabels,
  NotFoundError,
  PermanentError,
  type PipelineSpec,
  type SourceState,
  type Step,
} from '@delta-augment/core';
import { decodeSource, type EngineLimits, type Partner, type Partners } from '@delta-augment/engine';
import type { BlobStore, JobService } from '@delta-augment/ports';
import { allSources } from './all-sources.js';

/** Operations that use other images of the job. */
const USES_PARTNERS = new Set(['mosaic']);

/** True when some step of the spec (at any depth) is an operation that uses other images of the job. */
export const usesPartners = (spec: PipelineSpec): boolean => {
  const visit = (step: Step): boolean => (step.kind === 'op' ? USES_PARTNERS.has(step.op) : step.steps.some(visit));
  return spec.steps.some(visit);
};

/** Decoded partners kept at once per source (a variant uses at most three). */
const CACHED = 6;

/**
 * The other sources of the job in the same split, ordered by source id (so every worker sees the same
 * list), loaded on demand and kept in a small cache.
 */
export async function partnersOf(
  deps: { readonly jobs: JobService; readonly blobs: BlobStore; readonly limits: EngineLimits },
  jobId: string,
  self: SourceState,
): Promise<Partners> {
  const split = self.split ?? 'train';
  const pool: SourceState[] = [];
  for await (const s of allSources(deps.jobs, jobId)) {
    if (s.sourceId !== self.sourceId && (s.split ?? 'train') === split) pool.push(s);
  }
  pool.sort((a, b) => (a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0));
  const cache = new Map<number, Promise<Partner>>();
  const load = async (k: number): Promise<Partner> => {
    const ref = pool[k];
    if (ref === undefined) throw new RangeError(`no partner ${k}`);
    const bytes = await deps.blobs.getBuffer(ref.key).catch((error: unknown) => {
      if (error instanceof NotFoundError)
        throw new PermanentError(`source object ${ref.key} is missing`, { cause: error });
      throw error;
    });
    const source = await decodeSource(bytes, deps.limits);
    const labels = ref.labelsKey
      ? (JSON.parse((await deps.blobs.getBuffer(ref.labelsKey)).toString('utf8')) as ImageLabels)
      : undefined;
    return { source, name: ref.name, ...(labels ? { labels } : {}) };
  };
  return {
    count: pool.length,
    load: (k) => {
      let entry = cache.get(k);
      if (entry === undefined) {
        if (cache.size >= CACHED) cache.delete(cache.keys().next().value as number);
        entry = load(k);
        cache.set(k, entry);
      }
      return entry;
    },
  };
}
