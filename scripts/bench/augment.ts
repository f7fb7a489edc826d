/**
 * Engine benchmark: `npm run bench` (options: --preset NAME --variants N --repeat N --images DIR
 * --baseline-repo DIR --no-e2e --no-ops --cpu-profile DIR).
 *
 * Per core, on the shared ~1 MP JPEGs, JPEG out, zipped (--no-labels skips 1c):
 * 1. Engine, in this process, one variant at a time: CPU ms per variant split into decode (once per
 *    source, spread over its variants), geometry (the warp), pixel ops, encode and zip.
 * 1b. Storage, job store and queue (scripts/bench/components.ts): the real local adapters driven one call at
 *    a time as the gateway and the augmenter drive them for the same job, the CPU around each call.
 * 1c. The same variants with busy detection labels and without (scripts/bench/labels.ts): the factor.
 * 2. Each operation alone (probability 1, catalogue defaults) on a 1 MP photo: its cost per megapixel
 *    (the render minus an encode-only render).
 * 3. End to end: the local stack (`npm start`'s entry) pinned to one core with `taskset -c 0`, one job
 *    of every photo × N variants, from the upload to the job's `completed` event. Variants/s per core
 *    and variants per CPU-second of the whole stack (robust when other work shares the machine). The
 *    CPU per variant is split into decode, geometry, pixel ops, encode (1), storage, job store and
 *    queue (1b) and the rest (the gateway, the notifier, polling), which is what is left.
 *    With --baseline-repo, another checkout (e.g. a worktree of the previous release) runs the same
 *    job in the same run, alternating with this one (also pinned to core 0), and the SAME-RUN RATIO of the
 *    two is printed: the figure that counts on a shared machine. The 1-minute load average of each job is
 *    printed beside its figures.
 * Figures are also printed against the previous release's committed figures (scripts/bench/baseline.json),
 * labelled as such: measured once, on another day's load, they are indicative only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { archiveZip } from '@delta-augment/augmenter';
import { OPERATION_NAMES, resolvePipeline } from '@delta-augment/core';
import {
  cpuNow,
  type DecodedSource,
  decodeSource,
  phaseTotals,
  recordPhases,
  renderVariant,
  thumbnail,
} from '@delta-augment/engine';
import { benchComponents, type RenderedSource } from './components.js';
import { benchLabels } from './labels.js';
import { benchStack, type StackRun } from './stack.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LIMITS = { maxPixels: 40_000_000, maxInputBytes: 50 * 1024 * 1024 };
const TARGET_RSS_MB = 250;

/** The previous release's figures (see the file for how they were measured). */
interface Baseline {
  readonly release: string;
  readonly engineMsPerVariant: number;
  readonly e2eVariantsPerSecondPerCore: number;
  readonly e2eVariantsPerCpuSecond: number;
  readonly opMsPerMegapixel: Readonly<Record<string, number>>;
}

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'delta-classic' },
    variants: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '2' },
    images: { type: 'string' },
    'baseline-repo': { type: 'string' },
    'no-e2e': { type: 'boolean', default: false },
    'no-ops': { type: 'boolean', default: false },
    'no-labels': { type: 'boolean', default: false },
    'cpu-profile': { type: 'string' },
  },
});

/** Parameters an operation needs beyond its catalogue defaults. */
const REQUIRED_PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  crop: { area: 0.7 },
  resize: { width: 800 },
};

function imagesDir(): string {
  const candidates = [values.images, join(REPO, '..', 'shared', 'images'), '/work/shared/images'];
  const dir = candidates.find((c): c is string => c !== undefined && existsSync(c));
  if (dir === undefined) throw new Error('no sample images: pass --images DIR');
  return dir;
}

/** How many times better `now` is than `before` (a time when lower is better, a rate when higher is). */
const times = (now: number, before: number, higherIsBetter: boolean): number =>
  higherIsBetter ? now / before : before / now;

/**
 * `now` against the previous release's figure committed in scripts/bench/baseline.json: measured once, on
 * another day's load, so indicative only (the same-run ratio of --baseline-repo is the one that counts).
 */
const vsCommitted = (now: number, before: number | undefined, higherIsBetter: boolean): string => {
  if (before === undefined || before <= 0 || now <= 0) return '';
  return `${times(now, before, higherIsBetter).toFixed(2)}x the committed previous-release figure (${before})`;
};

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => `  ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')}`)
    .join('\n');
}

interface EngineFigures {
  readonly variants: number;
  readonly msPerVariant: number;
  readonly phases: Readonly<Record<string, number>>;
  /** What was rendered, for the storage, job-store and queue figures. */
  readonly rendered: readonly RenderedSource[];
}

/** Renders every photo's variants one at a time with the phase accounting on. */
async function benchEngine(photos: readonly string[], preset: string, variants: number): Promise<EngineFigures> {
  const pipeline = resolvePipeline({ preset, seed: 42 });
  // Warm-up: JIT and sharp's first calls.
  const warm = await decodeSource(readFileSync(photos[0] as string), LIMITS);
  for (let i = 0; i < 5; i++) await renderVariant(warm, pipeline, 1000 + i);
  // The archive's own zip writer (stored entries, native CRC-32), as the stack's archive step uses it.
  const zip = archiveZip();
  const sink = new PassThrough();
  sink.resume();
  zip.pipe(sink);
  let decodeMs = 0;
  let zipMs = 0;
  let thumbMs = 0;
  let count = 0;
  const rendered: RenderedSource[] = [];
  recordPhases(true);
  const cpuStart = cpuNow();
  for (const photo of photos) {
    const t0 = cpuNow();
    const input = readFileSync(photo);
    const source: DecodedSource = await decodeSource(input, LIMITS);
    decodeMs += cpuNow() - t0;
    const outputs: RenderedSource['variants'][number][] = [];
    for (let i = 0; i < variants; i++) {
      const variant = await renderVariant(source, pipeline, i);
      outputs.push({ data: variant.data, operations: variant.operations });
      const t1 = cpuNow();
      zip.append(variant.data, { name: `${count}.${variant.extension}`, store: true });
      await new Promise((done) => setImmediate(done));
      zipMs += cpuNow() - t1;
      count += 1;
    }
    // Not part of the engine's figure (the stack makes one per source): its CPU is taken off the total.
    const t3 = cpuNow();
    const thumb = await thumbnail(source);
    thumbMs += cpuNow() - t3;
    rendered.push({
      name: photo.slice(photo.lastIndexOf('/') + 1),
      input,
      width: source.width,
      height: source.height,
      thumbnail: thumb,
      variants: outputs,
    });
  }
  const t2 = cpuNow();
  await zip.finalize();
  zipMs += cpuNow() - t2;
  const total = cpuNow() - cpuStart - thumbMs;
  const phases = phaseTotals();
  recordPhases(false);
  return {
    variants: count,
    msPerVariant: total / count,
    phases: {
      decode: decodeMs / count,
      geometry: phases.geometry / count,
      'pixel ops': phases.pixels / count,
      encode: phases.encode / count,
      zip: zipMs / count,
    },
    rendered,
  };
}

/** Each operation alone, probability 1, on one photo: ms per megapixel beyond an encode-only render. */
async function benchOperations(photo: string): Promise<Map<string, number>> {
  const source = await decodeSource(readFileSync(photo), LIMITS);
  const megapixels = (source.width * source.height) / 1e6;
  const time = async (steps: unknown[]): Promise<number> => {
    const pipeline = resolvePipeline({ spec: { format: 'jpeg', steps }, seed: 5 });
    await renderVariant(source, pipeline, 0);
    let best = Number.POSITIVE_INFINITY;
    // The fastest of a few runs: the least disturbed by other work on the machine.
    for (let i = 1; i <= 5; i++) {
      const t = cpuNow();
      await renderVariant(source, pipeline, i);
      best = Math.min(best, cpuNow() - t);
    }
    return best;
  };
  const encodeOnly = await time([]);
  const costs = new Map<string, number>([['(encode only)', encodeOnly / megapixels]]);
  for (const op of OPERATION_NAMES) {
    const ms = await time([{ op, ...REQUIRED_PARAMS[op] }]);
    costs.set(op, Math.max(0, ms - encodeOnly) / megapixels);
  }
  return costs;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2;
};

async function main(): Promise<void> {
  const baseline = JSON.parse(readFileSync(join(REPO, 'scripts', 'bench', 'baseline.json'), 'utf8')) as Baseline;
  const variants = Math.max(1, Number(values.variants));
  const repeat = Math.max(1, Number(values.repeat));
  const dir = imagesDir();
  const photos = readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
  if (photos.length === 0) throw new Error(`no JPEGs in ${dir}`);
  const preset = values.preset;
  const load = loadavg()[0] ?? 0;
  console.log(
    `delta-augment engine bench: preset ${preset}, ${photos.length} photos from ${dir}, ${variants} variants each, ` +
      `JPEG out, zipped; load average ${load.toFixed(1)} at the start (previous release: ${baseline.release})`,
  );

  const engine = await benchEngine(photos, preset, variants);
  const measured = Object.values(engine.phases).reduce((a, b) => a + b, 0);
  console.log(`\nengine, one core, one variant at a time (${engine.variants} variants): CPU ms per variant`);
  console.log(
    table([
      ['phase', 'ms/variant', 'share'],
      ...Object.entries(engine.phases).map(([k, v]) => [
        k,
        v.toFixed(2),
        `${((100 * v) / engine.msPerVariant).toFixed(0)}%`,
      ]),
      ['other (drawing, sharp set-up, GC)', Math.max(0, engine.msPerVariant - measured).toFixed(2), ''],
      ['total (CPU)', engine.msPerVariant.toFixed(2), ''],
    ]),
  );
  const enginePerCore = 1000 / engine.msPerVariant;
  console.log(
    `  engine variants/s per core (CPU time): ${enginePerCore.toFixed(1)}  ` +
      `${vsCommitted(engine.msPerVariant, baseline.engineMsPerVariant, false)}`,
  );

  const parts = await benchComponents(engine.rendered);
  console.log(
    '\nbeyond the engine, the local adapters driven as the gateway and the augmenter drive them for this job, one call at a time: CPU ms per variant',
  );
  console.log(
    table([
      ['part', 'ms/variant'],
      ['storage (fs blob store: upload, source read, thumbnail, variants, archive)', parts.storage.toFixed(2)],
      ['job store (SQLite events: reads, decisions, appends, bus publishes)', parts.jobStore.toFixed(2)],
      ['queue (SQLite work queue: send, receive, delete)', parts.queue.toFixed(2)],
    ]),
  );

  if (!values['no-labels']) {
    const labels = await benchLabels(photos, preset, Math.min(variants, 10));
    const factor = labels.msWith / labels.msWithout;
    const maskFactor = labels.msWithMask / labels.msWithout;
    console.log(
      `\nlabels, ${labels.variants} variants rendered three ways: ${labels.msWithout.toFixed(2)} CPU ms without; ` +
        `${labels.msWith.toFixed(2)} ms with 8 boxes, 4 polygons and 2 pose objects: ${factor.toFixed(3)}x ` +
        `(target <= 1.2x: ${factor <= 1.2 ? 'meets' : 'MISSES'}); ${labels.msWithMask.toFixed(2)} ms with an RLE mask too: ${maskFactor.toFixed(3)}x ` +
        `(target <= 1.2x: ${maskFactor <= 1.2 ? 'meets' : 'MISSES'})`,
    );
  }

  if (!values['no-ops']) {
    const costs = await benchOperations(photos[0] as string);
    console.log(
      '\neach operation alone (probability 1, defaults), least CPU of 5 runs: CPU ms per megapixel beyond the encode',
    );
    console.log(
      table([
        ['operation', 'ms/MP', 'vs previous'],
        ...[...costs].map(([op, ms]) => {
          const before = baseline.opMsPerMegapixel[op];
          return [op, ms.toFixed(1), before === undefined ? 'new' : `${before.toFixed(1)}`];
        }),
      ]),
    );
  }

  if (!values['no-e2e']) {
    const repos = [
      { name: 'this checkout', repo: REPO },
      ...(values['baseline-repo'] ? [{ name: 'baseline', repo: resolve(values['baseline-repo']) }] : []),
    ];
    const runs = new Map<string, StackRun[]>(repos.map((r) => [r.name, []]));
    // Alternating, so that both see the same machine load.
    for (let r = 0; r < repeat; r++) {
      for (const { name, repo } of repos) {
        const [run] = await benchStack({
          repo,
          photos,
          variants,
          preset,
          repeat: 1,
          pin: true,
          ...(values['cpu-profile'] ? { cpuProfileDir: values['cpu-profile'] } : {}),
        });
        if (run) runs.get(name)?.push(run);
      }
    }
    const pinned = [...runs.values()].flat().every((r) => r.pinned);
    console.log(
      `\nend to end, one core, as issue 14 measures it: the whole local stack ${pinned ? 'pinned with taskset -c 0' : 'NOT PINNED (no taskset): figures are for the whole machine'}, ` +
        `one job of ${photos.length} photos × ${variants} variants, JPEG out, zipped, timed from the upload to the completed job ` +
        `(median of ${repeat}${repos.length > 1 ? ', the two checkouts alternating' : ''})`,
    );
    const rows: string[][] = [
      ['', 'variants/s per core', 'variants per CPU-s', 'CPU ms/variant', 'worker peak RSS MB', 'load average'],
    ];
    const summary = new Map<string, { perSecond: number; perCpu: number; rss: number }>();
    for (const { name, repo } of repos) {
      const list = runs.get(name) ?? [];
      const perSecond = median(list.map((r) => r.variants / r.seconds));
      const perCpu = median(list.map((r) => r.variants / r.cpuSeconds));
      const rss = Math.max(...list.flatMap((r) => r.workerPeakRssMb));
      summary.set(name, { perSecond, perCpu, rss });
      const loads = list.flatMap((r) => r.load);
      rows.push([
        name === 'baseline' ? `baseline (${repo})` : name,
        perSecond.toFixed(1),
        perCpu.toFixed(1),
        (1000 / perCpu).toFixed(1),
        rss.toFixed(0),
        `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
      ]);
    }
    console.log(table(rows));
    const mine = runs.get('this checkout') ?? [];
    const { perSecond, perCpu, rss } = summary.get('this checkout') ?? { perSecond: 0, perCpu: 0, rss: 0 };
    const theirs = summary.get('baseline');
    if (theirs) {
      // Each run of this checkout against the baseline run next to it: the spread shows how much load moved.
      const pairs = (runs.get('baseline') ?? []).map((b, i) => ({ b, m: mine[i] }));
      const paired = (f: (r: StackRun) => number) =>
        pairs.flatMap(({ b, m }) => (m ? [f(m) / f(b)] : [])).sort((x, y) => x - y);
      const spread = (xs: number[]) => `${(xs[0] ?? 0).toFixed(2)}–${(xs.at(-1) ?? 0).toFixed(2)}`;
      const perCpuPairs = paired((r) => r.variants / r.cpuSeconds);
      const wallPairs = paired((r) => r.variants / r.seconds);
      console.log(
        `  SAME-RUN RATIO, this checkout / baseline: ${times(perCpu, theirs.perCpu, true).toFixed(2)}x per CPU-second ` +
          `(run by run ${spread(perCpuPairs)}), ${times(perSecond, theirs.perSecond, true).toFixed(2)}x wall clock per core ` +
          `(run by run ${spread(wallPairs)})`,
      );
    }
    // The end-to-end CPU per variant split: the engine's phases and the adapters' parts measured above, and
    // the rest (the gateway's upload handling, the notifier, the worker pool's polling, GC) by difference.
    const engineOnly = engine.msPerVariant - (engine.phases.zip ?? 0);
    const e2eMs = 1000 / perCpu;
    const known = engineOnly + parts.storage + parts.jobStore + parts.queue;
    const split: [string, number][] = [
      ['decode (once per source, shared by its variants)', engine.phases.decode ?? 0],
      ['geometry (the warp)', engine.phases.geometry ?? 0],
      ['pixel ops', engine.phases['pixel ops'] ?? 0],
      ['encode', engine.phases.encode ?? 0],
      ['engine other (drawing, sharp set-up, GC)', Math.max(0, engineOnly - measured + (engine.phases.zip ?? 0))],
      ['storage (blob store, archive included)', parts.storage],
      ['job store (events and bus)', parts.jobStore],
      ['queue', parts.queue],
      ['gateway, notifier, polling and the rest (by difference)', e2eMs - known],
    ];
    const workerMs = 1000 * median(mine.map((r) => r.workerCpuSeconds / r.variants)) || 0;
    console.log(
      `  per variant, end to end (this checkout): ${e2eMs.toFixed(1)} CPU ms, of which the worker process ` +
        `${workerMs.toFixed(1)} and the gateway with the notifier ${(e2eMs - workerMs).toFixed(1)}`,
    );
    console.log(
      table([
        ['part', 'CPU ms/variant', 'share'],
        ...split.map(([k, v]) => [k, v.toFixed(2), `${((100 * v) / e2eMs).toFixed(0)}%`]),
      ]),
    );
    console.log(
      `  against the committed previous-release figures (scripts/bench/baseline.json, measured once on another day's load: ` +
        `indicative only${theirs ? '; the same-run ratio above is the one that counts' : '; pass --baseline-repo for a same-run ratio'}): ` +
        `${perSecond.toFixed(1)} variants/s per core wall clock, ${vsCommitted(perSecond, baseline.e2eVariantsPerSecondPerCore, true)}; ` +
        `${perCpu.toFixed(1)} per CPU-second, ${vsCommitted(perCpu, baseline.e2eVariantsPerCpuSecond, true)}`,
    );
    console.log(
      `  target peak RSS < ${TARGET_RSS_MB} MB per worker: ${rss < TARGET_RSS_MB ? 'meets' : 'MISSES'} (${rss.toFixed(0)} MB)`,
    );
  }
  const after = loadavg()[0] ?? 0;
  if (Math.max(load, after) > 1) {
    console.log(
      `\nnote: the machine was busy (load average ${load.toFixed(1)} → ${after.toFixed(1)}): wall-clock figures understate; ` +
        'CPU-time figures less so, and ratios measured in the same run (--baseline-repo) hold best.',
    );
  }
}

await main();
