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
  /** The folder its outputs go to (a label, a split): with the stem, where it comes in the archive's order. */
  readonly group: string;
  readonly stem: string;
}

/** Variants held at once while a job's variants are put in order (a few hundred bytes each). */
export const ORDER_WINDOW = 20_000;

const byPlace = (a: Placed, b: Placed): number => {
  const [x, y] = [`${a.group}/${a.stem}`, `${b.group}/${b.stem}`];
  return x < y ? -1 : x > y ? 1 : 0;
};

/**
 * The variants of the placed sources in a fixed order: sources by group and stem (their output names), each
 * source's variants by index. So the archive's entries, its manifests and the files that list every output (COCO
 * documents) come out the same for the same job and seed, whatever order the workers finished in (the events
 * record them in that order). Nothing grows with the job but the source list the caller already holds: the
 * sources are taken in windows of at most `window` variants (by their recorded count), and each window is one
 * paged walk of the events whose variants are kept and sorted. A job of up to `window` variants is one walk.
 */
export async function* orderedVariants(
  jobs: JobService,
  jobId: string,
  placements: ReadonlyMap<string, Placed>,
  window = ORDER_WINDOW,
): AsyncGenerator<{ readonly placed: Placed; readonly variant: VariantRecord }> {
  const order = [...placements.values()].sort(byPlace);
  for (let start = 0; start < order.length; ) {
    let end = start;
    let held = 0;
    do {
      held += order[end]?.source.variants ?? 0;
      end += 1;
    } while (end < order.length && held + (order[end]?.source.variants ?? 0) <= window);
    const position = new Map(order.slice(start, end).map((placed, i) => [placed.source.sourceId, i]));
    const windowed: { position: number; placed: Placed; variant: VariantRecord }[] = [];
    for await (const { sourceId, variant } of allVariants(jobs, jobId)) {
      const at = position.get(sourceId);
      if (at !== undefined) windowed.push({ position: at, placed: order[start + at] as Placed, variant });
    }
    windowed.sort((a, b) => a.position - b.position || a.variant.index - b.variant.index);
    for (const { placed, variant } of windowed) yield { placed, variant };
    start = end;
  }
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
    const group = groupOf(source);
    const key = `${group}/${stemOf(source.name)}`;
    const count = seen.get(key) ?? 0;
    seen.set(key, count + 1);
    const stem = count === 0 ? stemOf(source.name) : `${stemOf(source.name)}_${source.sourceId.slice(-6)}`;
    placements.set(source.sourceId, { source, group, stem });
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
