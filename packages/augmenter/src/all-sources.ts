import type { JobState, SourceState, VariantRecord } from '@delta-augment/core';
import type { JobService } from '@delta-augment/ports';

/** Events read per page while a job's variants are walked. */
const EVENT_PAGE = 500;

/** Every source of a job, page by page. */
export async function* allSources(jobs: JobService, jobId: string): AsyncGenerator<SourceState> {
  let cursor: string | undefined;
  do {
    const page = await jobs.sources(jobId, { limit: 500, cursor });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}

/** Every variant recorded for a job, from its `VariantsWritten` events read page by page. */
export async function* allVariants(
  jobs: JobService,
  jobId: string,
): AsyncGenerator<{ readonly sourceId: string; readonly variant: VariantRecord }> {
  for (let after = 0; ; ) {
    const events = await jobs.read(jobId, after, EVENT_PAGE);
    for (const event of events) {
      if (event.type !== 'VariantsWritten') continue;
      for (const variant of event.data.variants) yield { sourceId: event.data.sourceId, variant };
    }
    const last = events.at(-1);
    if (!last || events.length < EVENT_PAGE) return;
    after = last.seq;
  }
}

const stemOf = (name: string): string => name.replace(/\.[^.]+$/, '') || 'image';

/** A completed source and the stem its outputs are named after, unique in its group. */
export interface Placed {
  readonly source: SourceState;
  readonly stem: string;
}

/**
 * Where each completed source's outputs go, read page by page from the source records: one small entry
 * per source, never per variant. Equal names in one group (an archive folder, a split) get the source
 * id's tail appended. The other sources are listed with why they failed.
 */
export const placeSources = async (jobs: JobService, jobId: string, groupOf: (source: SourceState) => string) => {
  const seen = new Map<string, number>();
  const placements = new Map<string, Placed>();
  const failed: { source: string; label: string; reason: string }[] = [];
  for await (const source of allSources(jobs, jobId)) {
    if (source.status !== 'completed') {
      failed.push({ source: source.name, label: source.label, reason: source.failure ?? source.status });
      continue;
    }
    const key = `${groupOf(source)}/${stemOf(source.name)}`;
    const count = seen.get(key) ?? 0;
    seen.set(key, count + 1);
    const stem = count === 0 ? stemOf(source.name) : `${stemOf(source.name)}_${source.sourceId.slice(-6)}`;
    placements.set(source.sourceId, { source, stem });
  }
  return { placements, failed };
};

/** What a manifest says of its job. */
export const manifestHeader = (job: JobState) => ({
  id: job.id,
  pipeline: job.pipeline,
  variantsPerSource: job.variantsPerSource,
  tags: job.tags,
  createdAt: job.createdAt,
});
