/**
 * Store-path scale benchmark: the job-tracking cost per variant for jobs of 10, 100, 1,000 and 5,000
 * sources x 20 variants on the SQLite store, as the augmenter drives it (store-load.ts), then the
 * finalisation. Rendering is left out so that the figure is the cost of the job model alone.
 *   node --import tsx scripts/bench/scale.ts [--sizes 10,100,1000,5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobService } from '@delta-augment/ports';
import { SqliteEventBus, SqliteJobEventStore } from '@delta-augment/ports/local';
import { createBenchJob, JOB_ID, recordSources, sizesArg, VARIANTS } from './store-load.js';

const sizes = sizesArg('10,100,1000,5000');

const run = async (sources: number) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-scale-'));
  const store = new SqliteJobEventStore(join(dir, 'events.sqlite'));
  const bus = new SqliteEventBus(join(dir, 'bus.sqlite'));
  let appends = 0;
  const counting = new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'appendToSource' || property === 'appendToJob') {
        return (...args: unknown[]) => {
          appends++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  const jobs = new JobService(counting, bus);
  const ids = await createBenchJob(jobs, sources);
  const started = performance.now();
  await recordSources(jobs, ids);
  const ms = performance.now() - started;
  const job = await store.load(JOB_ID);
  await store.close();
  await bus.close();
  rmSync(dir, { recursive: true, force: true });
  const variants = sources * VARIANTS;
  return { sources, variants, ms, perVariantUs: (ms * 1000) / variants, appends, retries: jobs.conflictRetries, job };
};

const rows = [];
for (const size of sizes) rows.push(await run(size));
const base = rows[0]?.perVariantUs ?? 1;
console.log(
  '| sources x 20 | variants | store time | per variant | ratio to first | appends per variant | conflict retries per variant | status |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.sources} | ${r.variants} | ${Math.round(r.ms)} ms | ${r.perVariantUs.toFixed(1)} µs | ${(r.perVariantUs / base).toFixed(2)} | ${(r.appends / r.variants).toFixed(3)} | ${(r.retries / r.variants).toFixed(4)} | ${r.job?.status} |`,
  );
}
