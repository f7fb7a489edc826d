/**
 * Store-path scale benchmark: the job-tracking cost per variant for jobs of 10, 100, 1,000 and 5,000
 * sources x 20 variants on the SQLite store, as the augmenter drives it (per source: SourceStarted, one
 * VariantsWritten batch of 20, SourceCompleted, through JobService with 4 sources in flight), then the
 * finalisation. Rendering is left out so that the figure is the cost of the job model alone.
 *   node --import tsx scripts/bench/scale.ts [--sizes 10,100,1000,5000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobService } from '@delta-augment/ports';
import { SqliteEventBus, SqliteJobEventStore } from '@delta-augment/ports/local';

const VARIANTS = 20;
const IN_FLIGHT = 4;
const arg = process.argv.indexOf('--sizes');
const sizes = (arg > 0 ? (process.argv[arg + 1] ?? '') : '10,100,1000,5000').split(',').map(Number);

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
  const ids = Array.from({ length: sources }, (_, i) => `s_${String(i).padStart(22, '0')}`);
  await jobs.handleJob('j_bench', {
    type: 'CreateJob',
    owner: 'bench',
    pipeline: { seed: 1 },
    variants: VARIANTS,
    tags: [],
    sources: ids.map((sourceId) => ({ sourceId, name: `${sourceId}.jpg`, label: 'cats', key: `k/${sourceId}` })),
    expiresAt: '2999-01-01T00:00:00.000Z',
  });
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const sourceId = ids[next++] as string;
      let { source } = await jobs.handleSource('j_bench', sourceId, { type: 'StartSource', attempt: 1 });
      const variants = Array.from({ length: VARIANTS }, (_, index) => ({
        index,
        key: `r/${sourceId}/${index}.jpg`,
        bytes: 4000,
        operations: [{ op: 'rotate', params: { degrees: 12.5 } }],
      }));
      ({ source } = await jobs.handleSource('j_bench', sourceId, { type: 'RecordVariants', variants }, source));
      await jobs.handleSource('j_bench', sourceId, { type: 'CompleteSource' }, source);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const archive = { key: 'a', bytes: 1, count: sources * VARIANTS };
  await jobs.handleJob('j_bench', { type: 'FinaliseJob', archive, failures: [] });
  const ms = performance.now() - started;
  const job = await store.load('j_bench');
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
