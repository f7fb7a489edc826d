/**
 * Full-stack scale benchmark: the cost of a variant on the real local stack (gateway, SQLite store and
 * queue, augmenter worker, archive) for dataset zips of 10, 100, 1,000 and 5,000 generated images in
 * class folders, 20 variants each. Each size runs on a fresh stack; the time runs from the start of the
 * upload to the job's `JobCompleted` event (every variant rendered and stored, the zip written).
 * Prints per-variant wall time and CPU (the whole process tree), their ratio to the smallest job, and
 * the job's events per variant (read back page by page through GET /api/jobs/:id/events) and the conflict
 * retries per variant (appends re-decided because their aggregate had moved on, which the gateway and the
 * workers log when they stop).
 *   node --import tsx scripts/bench/stack-scale.ts [--sizes 10,100,1000,5000] [--px 256] [--variants 20]
 *     [--workers 1] [--preset delta-classic]
 */
import { PassThrough } from 'node:stream';
import { parseArgs } from 'node:util';
import { ZipArchive } from 'archiver';
import sharp from 'sharp';
import { conflictRetriesIn, multipart, startStack, treeCpu, waitForJob } from './local-stack.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000,5000' },
    px: { type: 'string', default: '256' },
    variants: { type: 'string', default: '20' },
    workers: { type: 'string', default: '1' },
    preset: { type: 'string', default: 'delta-classic' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const px = Number(values.px);
const variants = Number(values.variants);
const CLASSES = ['cats', 'dogs', 'birds', 'fish'];

/** A px x px JPEG: a colour per image and a circle whose place and size vary, so no two are alike. */
const image = (i: number): Promise<Buffer> => {
  const r = (i * 37) % 256;
  const g = (i * 91) % 256;
  const b = (i * 173) % 256;
  const cx = ((i * 13) % px) | 0;
  const radius = 8 + ((i * 7) % (px / 4));
  const svg = `<svg width="${px}" height="${px}"><circle cx="${cx}" cy="${px / 2}" r="${radius}" fill="rgb(${255 - r},${255 - g},${255 - b})"/></svg>`;
  return sharp({ create: { width: px, height: px, channels: 3, background: { r, g, b } } })
    .composite([{ input: Buffer.from(svg) }])
    .jpeg({ quality: 80 })
    .toBuffer();
};

/** A dataset zip of `count` images spread over class folders. */
const datasetZip = async (count: number): Promise<Buffer> => {
  const zip = new ZipArchive({ store: true });
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise((r) => out.on('end', r));
  zip.pipe(out);
  for (let i = 0; i < count; i++) {
    zip.append(await image(i), {
      name: `dataset/${CLASSES[i % CLASSES.length]}/img_${String(i).padStart(5, '0')}.jpg`,
    });
  }
  await zip.finalize();
  await done;
  return Buffer.concat(chunks);
};

/** The number of the job's events, read back page by page. */
const eventCount = async (url: string, id: string): Promise<number> => {
  let count = 0;
  for (let after = 0; ; ) {
    const response = await fetch(`${url}/api/jobs/${id}/events?after=${after}&limit=1000`);
    const page = (await response.json()) as { seq: number }[];
    count += page.length;
    const next = response.headers.get('x-next-after');
    if (!next) return count;
    after = Number(next);
  }
};

interface Row {
  readonly images: number;
  readonly variants: number;
  readonly zipBytes: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly events: number;
  readonly conflictRetries: number;
}

const run = async (images: number): Promise<Row> => {
  const zip = await datasetZip(images);
  const stack = await startStack({
    env: {
      WORKER_PROCESSES: values.workers,
      MAX_FILES_PER_JOB: String(Math.max(images, 10)),
      MAX_REQUEST_BYTES: String(Math.max(zip.length * 2, 100 * 1024 * 1024)),
      MAX_FILE_BYTES: String(Math.max(zip.length * 2, 25 * 1024 * 1024)),
      // Checking and storing 5,000 images in the upload request takes minutes on a loaded machine.
      REQUEST_TIMEOUT_SECONDS: '3600',
    },
  });
  try {
    const { body, type } = multipart({ variants: String(variants), preset: values.preset, seed: '1' }, [
      { filename: 'dataset.zip', type: 'application/zip', data: zip },
    ]);
    const cpuBefore = treeCpu(stack.child.pid as number);
    const started = performance.now();
    const response = await fetch(`${stack.url}/api/jobs`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'content-type': type },
    });
    if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${await response.text()}`);
    const { id } = (await response.json()) as { id: string };
    await waitForJob(stack.url, id);
    const seconds = (performance.now() - started) / 1000;
    const cpuSeconds = treeCpu(stack.child.pid as number) - cpuBefore;
    const events = await eventCount(stack.url, id);
    await stack.stop();
    const conflictRetries = conflictRetriesIn(stack.output(), 1 + Number(values.workers));
    return { images, variants: images * variants, zipBytes: zip.length, seconds, cpuSeconds, events, conflictRetries };
  } finally {
    await stack.stop();
  }
};

const rows: Row[] = [];
for (const size of sizes) {
  const row = await run(size);
  rows.push(row);
  process.stderr.write(`${JSON.stringify(row)}\n`);
}
const first = rows[0] as Row;
const ms = (s: number, n: number) => (s * 1000) / n;
console.log(
  `| images x ${variants} (${px} px) | variants | upload to completed | per variant (wall) | ratio to first | CPU per variant | CPU ratio | events per variant | conflict retries per variant |`,
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.images.toLocaleString('en')} | ${r.variants.toLocaleString('en')} | ${r.seconds.toFixed(1)} s | ${ms(r.seconds, r.variants).toFixed(2)} ms | ${(ms(r.seconds, r.variants) / ms(first.seconds, first.variants)).toFixed(2)} | ${ms(r.cpuSeconds, r.variants).toFixed(2)} ms | ${(ms(r.cpuSeconds, r.variants) / ms(first.cpuSeconds, first.variants)).toFixed(2)} | ${(r.events / r.variants).toFixed(3)} | ${(r.conflictRetries / r.variants).toFixed(4)} |`,
  );
}
const last = rows.at(-1) as Row;
console.log(
  `largest/smallest per-variant cost: ${(ms(last.seconds, last.variants) / ms(first.seconds, first.variants)).toFixed(2)} (wall), ${(ms(last.cpuSeconds, last.variants) / ms(first.cpuSeconds, first.variants)).toFixed(2)} (CPU)`,
);
