import {
  type ImageLabels,
  isSourceSettled,
  NotFoundError,
  PermanentError,
  type PipelineSpec,
  type SourceState,
  type Step,
  TransientError,
} from '@delta-augment/core';
import { decodeSource, type EngineLimits, type Partner, type Partners } from '@delta-augment/engine';
import type { BlobStore, JobService } from '@delta-augment/ports';
import { allSources } from './all-sources.js';

/** Operations that use other images of the job. */
const USES_PARTNERS = new Set(['mosaic', 'copyPaste']);

/** True when some step of the spec (at any depth) is an operation that uses other images of the job. */
export const usesPartners = (spec: PipelineSpec): boolean => {
  const visit = (step: Step): boolean => (step.kind === 'op' ? USES_PARTNERS.has(step.op) : step.steps.some(visit));
  return spec.steps.some(visit);
};

/** Decoded partners kept at once per source (a variant uses at most three). */
const CACHED = 6;
/** Jobs whose source lists a worker keeps (the list of a job never changes once it is created). */
const JOBS_KEPT = 4;

/** A job's sources by split, in a worker-independent order, and where each source is in its split's list. */
interface JobPool {
  readonly bySplit: ReadonlyMap<string, readonly SourceState[]>;
  readonly position: ReadonlyMap<string, number>;
}

const pools = new Map<string, Promise<JobPool>>();

/** Orders sources by name, then id: the same order for the same dataset whatever ids the job drew. */
const byName = (a: SourceState, b: SourceState): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.sourceId < b.sourceId ? -1 : a.sourceId > b.sourceId ? 1 : 0;

/** The job's sources, listed once per worker and job (a few jobs kept), not once per source. */
function poolOf(jobs: JobService, jobId: string): Promise<JobPool> {
  let pool = pools.get(jobId);
  if (pool === undefined) {
    pool = (async () => {
      const bySplit = new Map<string, SourceState[]>();
      for await (const s of allSources(jobs, jobId)) {
        const split = s.split ?? 'train';
        const list = bySplit.get(split) ?? [];
        list.push(s);
        bySplit.set(split, list);
      }
      const position = new Map<string, number>();
      for (const list of bySplit.values()) {
        list.sort(byName);
        for (const [i, s] of list.entries()) position.set(s.sourceId, i);
      }
      return { bySplit, position };
    })();
    pool.catch(() => pools.delete(jobId));
    if (pools.size >= JOBS_KEPT) pools.delete(pools.keys().next().value as string);
    pools.set(jobId, pool);
  }
  return pool;
}

/** Longest wait for another image of the job that is still being uploaded, before the work is retried later. */
const UPLOAD_WAIT_MS = 20_000;

/**
 * The bytes of another source of the job. A dataset's sources are stored one after the other, so a
 * source may be augmented before the one it draws from is stored (its record says pending, or uploaded: the
 * record comes just before the write): that one is waited for, then the work is retried later (a transient
 * error). A settled source whose object is gone is a permanent failure.
 */
async function uploaded(
  deps: { readonly jobs: JobService; readonly blobs: BlobStore },
  jobId: string,
  ref: SourceState,
): Promise<Buffer> {
  const started = Date.now();
  for (let pause = 50; ; pause = Math.min(1000, pause * 2)) {
    try {
      return await deps.blobs.getBuffer(ref.key);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      // A source is recorded as uploaded just before its object is written (the gateway appends, then stores), so
      // only a settled source's missing object is gone for good; an unsettled one's may be about to arrive.
      const now = await deps.jobs.loadSource(jobId, ref.sourceId);
      if (now !== undefined && isSourceSettled(now))
        throw new PermanentError(`source object ${ref.key} is missing`, { cause: error });
      if (Date.now() - started > UPLOAD_WAIT_MS)
        throw new TransientError(`source ${ref.name}, drawn from, is not stored yet`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/**
 * The other sources of the job in the same split, ordered by name (so every worker, and every run of
 * the same dataset, sees the same list), loaded on demand and kept in a small cache. The job's list is
 * read once per worker, so a job of n sources costs n reads of its list per worker, not n per source.
 */
export async function partnersOf(
  deps: { readonly jobs: JobService; readonly blobs: BlobStore; readonly limits: EngineLimits },
  jobId: string,
  self: SourceState,
): Promise<Partners> {
  const { bySplit, position } = await poolOf(deps.jobs, jobId);
  const list = bySplit.get(self.split ?? 'train') ?? [];
  const at = position.get(self.sourceId);
  const own = at !== undefined && list[at]?.sourceId === self.sourceId ? at : -1;
  const count = own < 0 ? list.length : list.length - 1;
  const cache = new Map<number, Promise<Partner>>();
  const load = async (k: number): Promise<Partner> => {
    const ref = k >= 0 && k < count ? list[own >= 0 && k >= own ? k + 1 : k] : undefined;
    if (ref === undefined) throw new RangeError(`no partner ${k}`);
    const bytes = await uploaded(deps, jobId, ref);
    const source = await decodeSource(bytes, deps.limits);
    const labels = ref.labelsKey
      ? (JSON.parse((await deps.blobs.getBuffer(ref.labelsKey)).toString('utf8')) as ImageLabels)
      : undefined;
    return { source, name: ref.name, ...(labels ? { labels } : {}) };
  };
  return {
    count,
    load: (k) => {
      let entry = cache.get(k);
      if (entry === undefined) {
        if (cache.size >= CACHED) cache.delete(cache.keys().next().value as number);
        entry = load(k);
        entry.catch(() => cache.delete(k));
        cache.set(k, entry);
      }
      return entry;
    },
  };
}
