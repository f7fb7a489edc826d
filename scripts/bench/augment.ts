/**
 * Augmentation engine benchmark: `npm run bench` (options: --preset NAME --variants N --repeat N
 * --workers N --images DIR).
 *
 * Forks one worker process per core. Each decodes its share of the ~1 MP JPEGs once, renders N
 * variants of each (JPEG out, two in flight), and zips them with a manifest through archiver, as the
 * augmenter does. Prints variants per second (wall clock, and per core), variants per CPU-second
 * (robust when other work shares the machine) and each worker's peak RSS, against the target of
 * 45 variants/s per core and 300 MB per worker.
 */
import { fork } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolvePipeline } from '@delta-augment/core';
import { decodeSource, type RenderedVariant, renderVariant } from '@delta-augment/engine';
import { ZipArchive } from 'archiver';

const TARGET_PER_CORE = 45;
const TARGET_RSS_MB = 300;
const LIMITS = { maxPixels: 40_000_000, maxInputBytes: 50 * 1024 * 1024 };

interface WorkerTask {
  readonly files: readonly string[];
  readonly preset: string;
  readonly variants: number;
  readonly outDir: string;
  readonly index: number;
}

interface WorkerResult {
  readonly sources: number;
  readonly variants: number;
  readonly bytes: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssMb: number;
  readonly decodeSeconds: number;
}

const { values } = parseArgs({
  options: {
    worker: { type: 'boolean', default: false },
    preset: { type: 'string', default: 'delta-classic' },
    variants: { type: 'string', default: '20' },
    repeat: { type: 'string', default: '3' },
    workers: { type: 'string', default: String(availableParallelism()) },
    images: { type: 'string' },
  },
});

/** The shared sample images: ../shared/images beside the checkout (CI) or /work/shared/images. */
function imagesDir(): string {
  const candidates = [
    values.images,
    resolve(fileURLToPath(new URL('../../../shared/images', import.meta.url))),
    '/work/shared/images',
  ];
  const dir = candidates.find((c): c is string => c !== undefined && existsSync(c));
  if (dir === undefined) throw new Error('no sample images: pass --images DIR');
  return dir;
}

/** Renders and zips one worker's share; runs in a forked process. */
async function runWorker(task: WorkerTask): Promise<WorkerResult> {
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const pipeline = resolvePipeline({ preset: task.preset, seed: 42 });
  const zipPath = join(task.outDir, `worker-${task.index}.zip`);
  const archive = new ZipArchive({ zlib: { level: 6 } });
  const output = createWriteStream(zipPath);
  const closed = new Promise<void>((done, fail) => {
    output.on('close', done);
    archive.on('error', fail);
  });
  archive.pipe(output);
  const manifest: { file: string; operations: RenderedVariant['operations'] }[] = [];
  let variants = 0;
  let decodeMs = 0;
  for (const [n, file] of task.files.entries()) {
    const t0 = performance.now();
    const source = await decodeSource(readFileSync(file), LIMITS);
    decodeMs += performance.now() - t0;
    const name = `${n}-${file
      .split('/')
      .at(-1)
      ?.replace(/\.\w+$/, '')}`;
    // Two variants in flight: one warps in JS while sharp encodes the other on the thread pool.
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < task.variants; i++) {
      const job = renderVariant(source, pipeline, i).then((variant) => {
        const entry = `${name}/${String(i).padStart(4, '0')}.${variant.extension}`;
        archive.append(variant.data, { name: entry, store: true });
        manifest.push({ file: entry, operations: variant.operations });
        variants += 1;
      });
      inFlight.push(job);
      if (inFlight.length >= 2) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }
  archive.append(JSON.stringify(manifest, null, 2), { name: 'manifest.json' });
  await archive.finalize();
  await closed;
  const cpu = process.cpuUsage(cpuStart);
  return {
    sources: task.files.length,
    variants,
    bytes: archive.pointer(),
    wallSeconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    decodeSeconds: decodeMs / 1000,
  };
}

function runInChild(task: WorkerTask, threads: number): Promise<WorkerResult> {
  return new Promise((done, fail) => {
    const child = fork(fileURLToPath(import.meta.url), ['--worker'], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, UV_THREADPOOL_SIZE: String(threads) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (message) => done(message as WorkerResult));
    child.once('error', fail);
    child.once('exit', (code) => {
      if (code !== 0) fail(new Error(`bench worker exited with code ${code}`));
    });
    child.send(task);
  });
}

async function main(): Promise<void> {
  if (values.worker) {
    process.once('message', async (task: WorkerTask) => {
      const result = await runWorker(task);
      process.send?.(result, () => process.exit(0));
    });
    return;
  }
  const workers = Math.max(1, Number(values.workers));
  const variants = Math.max(1, Number(values.variants));
  const repeat = Math.max(1, Number(values.repeat));
  const dir = imagesDir();
  const images = readdirSync(dir)
    .filter((f) => /\.jpe?g$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
  if (images.length === 0) throw new Error(`no JPEGs in ${dir}`);
  const all = Array.from({ length: repeat }, () => images).flat();
  const outDir = mkdtempSync(join(tmpdir(), 'delta-bench-'));
  const shares = Array.from({ length: workers }, (_, w) => all.filter((_, i) => i % workers === w));
  const cores = availableParallelism();
  console.log(
    `delta-augment bench: preset ${values.preset}, ${all.length} sources (${images.length} JPEGs × ${repeat}) from ${dir}, ` +
      `${variants} variants each, JPEG out, zipped; ${workers} worker processes on ${cores} cores`,
  );
  const loadBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  try {
    const results = await Promise.all(
      shares.map((files, index) => runInChild({ files, preset: values.preset, variants, outDir, index }, 2)),
    );
    const seconds = (performance.now() - started) / 1000;
    const total = results.reduce((n, r) => n + r.variants, 0);
    const cpu = results.reduce((n, r) => n + r.cpuSeconds, 0);
    const perSecond = total / seconds;
    const perCore = perSecond / Math.min(cores, workers);
    const perCpuSecond = total / cpu;
    const peak = Math.max(...results.map((r) => r.peakRssMb));
    const rows: [string, string][] = [
      ['sources', String(all.length)],
      ['variants', String(total)],
      ['seconds (wall)', seconds.toFixed(2)],
      ['variants/s', perSecond.toFixed(1)],
      ['variants/s per core', perCore.toFixed(1)],
      ['variants per CPU-second', perCpuSecond.toFixed(1)],
      ['decode s (all workers)', results.reduce((n, r) => n + r.decodeSeconds, 0).toFixed(2)],
      ['zip MB (all workers)', (results.reduce((n, r) => n + r.bytes, 0) / 1024 / 1024).toFixed(1)],
      ['peak RSS MB per worker', results.map((r) => r.peakRssMb.toFixed(0)).join(' / ')],
      ['load average (1 min)', `${loadBefore.toFixed(1)} before, ${loadavg()[0]?.toFixed(1)} after`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n'));
    const best = Math.max(perCore, perCpuSecond);
    const verdict = (ok: boolean): string => (ok ? 'meets' : 'MISSES');
    const measured = `wall-clock ${perCore.toFixed(1)}, CPU-time ${perCpuSecond.toFixed(1)}; Augmentor ~11`;
    if (values.preset === 'delta-classic') {
      console.log(`target ${TARGET_PER_CORE} variants/s per core: ${verdict(best >= TARGET_PER_CORE)} (${measured})`);
    } else {
      console.log(`(the ${TARGET_PER_CORE} variants/s per core target is set for delta-classic; ${measured})`);
    }
    if (loadBefore > 0.5) {
      console.log('note: other work was running; wall-clock figures understate, CPU-time figures do not.');
    }
    console.log(
      `target peak RSS < ${TARGET_RSS_MB} MB per worker: ${verdict(peak < TARGET_RSS_MB)} (${peak.toFixed(0)} MB)`,
    );
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

await main();
