import type { SourceState } from '@delta-augment/core';
import type { JobService } from '@delta-augment/ports';

/** Every source of a job, page by page. */
export async function* allSources(jobs: JobService, jobId: string): AsyncGenerator<SourceState> {
  let cursor: string | undefined;
  do {
    const page = await jobs.sources(jobId, { limit: 500, cursor });
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}
