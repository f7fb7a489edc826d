/**
 * Uploaded-dataset benchmark (issue 12 point 5), two modes.
 *
 * In process (default): a class-folder zip much larger than the process's heap limit is stored, then
 * expanded into its job's sources as the worker does for a signed upload (ranged reads, one image at a
 * time). Prints the zip's size, the time, and the process's peak RSS and heap, which stay flat whatever the
 * zip's size. Run with the local worker's heap limit:
 *   node --max-old-space-size=192 --import tsx scripts/bench/dataset-upload.ts [--images 4000] [--kb 60]
 *
 * On the real local stack (`--bytes`): a zip of about that size (`2g`, `500m`) of `--images` noise JPEGs is
 * written to a temporary folder, uploaded through the signed PUT over HTTP (paced to `--rate` bytes a second
 * if given), read, expanded and rendered by the stack's worker; see dataset-upload-stack.ts:
 *   npm run bench:dataset-upload -- --bytes 2g [--images 10000] [--variants 1] [--rate 10m] [--preset delta-classic]
 *     [--until upload|read|end] [--zip /path/kept.zip]
 * The stack takes its settings from the environment (e.g. MIN_UPLOAD_BYTES_PER_SECOND=1099511627776 holds the
 * PUT to REQUEST_TIMEOUT_SECONDS, as before signed uploads had their own budget).
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { blobKeys, DATASET_SOURCE_ID } from '@delta-augment/core';
import { expandDataset } from '@delta-augment/datasets';
import { buildApp } from '@delta-augment/gateway';
import { JobService, loadConfig } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import { ZipArchive } from 'archiver';
import sharp from 'sharp';
import { runOnStack } from './dataset-upload-stack.js';
import { parseBytes } from './dataset-zip-file.js';
import { peakRssMb } from './local-stack.js';

const { values } = parseArgs({
  options: {
    images: { type: 'string' },
    kb: { type: 'string', default: '60' },
    bytes: { type: 'string' },
    variants: { type: 'string', default: '1' },
    rate: { type: 'string', default: '0' },
    preset: { type: 'string', default: 'delta-classic' },
    until: { type: 'string', default: 'end' },
    zip: { type: 'string' },
  },
});
if (values.bytes !== undefined) {
  await runOnStack({
    totalBytes: parseBytes(values.bytes),
    images: Number(values.images ?? 10_000),
    variants: Number(values.variants),
    rate: parseBytes(values.rate),
    preset: values.preset,
    until: values.until as 'upload' | 'read' | 'end',
    ...(values.zip ? { zipPath: values.zip } : {}),
    env: {},
  });
  process.exit(0);
}
const IMAGES = Number(values.images ?? 4000);
const side = Math.round(Math.sqrt((Number(values.kb) * 1024) / 1.2));

const dir = mkdtempSync(join(tmpdir(), 'delta-bench-dataset-'));
try {
  // A noise JPEG does not compress: each entry is about --kb KB. One image's bytes serve every entry.
  const image = await sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .jpeg({ quality: 92 })
    .toBuffer();
  const zipPath = join(dir, 'dataset.zip');
  const zip = new ZipArchive({ store: true });
  const written = pipeline(zip, createWriteStream(zipPath));
  for (let i = 0; i < IMAGES; i++) zip.append(image, { name: `dataset/class_${i % 10}/img_${i}.jpg` });
  await zip.finalize();
  await written;
  const bytes = statSync(zipPath).size;
  const config = loadConfig({
    DATA_DIR: join(dir, 'data'),
    SIGNING_SECRET: 'bench',
    MAX_FILES_PER_JOB: String(IMAGES),
    MAX_DATASET_BYTES: String(bytes * 2),
  });
  const ports = localPorts({ ...config, signedUrlBase: 'http://127.0.0.1:9/blobs' });
  const { app } = await buildApp({ config, ports, webRoot: '/nonexistent' });
  const created = (
    await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { dataset: { name: 'dataset.zip', bytes }, variants: 1 },
    })
  ).json();
  if (!created.id) throw new Error(`the job was not created: ${JSON.stringify(created)}`);
  await ports.blobs.put(blobKeys.source(created.id, DATASET_SOURCE_ID, 'dataset.zip'), createReadStream(zipPath));
  const jobs = new JobService(ports.events, ports.bus);
  const rssBefore = process.memoryUsage().rss;
  let rssDuring = rssBefore;
  const sampler = setInterval(() => {
    rssDuring = Math.max(rssDuring, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  await expandDataset({ jobs, blobs: ports.blobs, config }, created.id);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const job = await jobs.load(created.id);
  console.log(
    JSON.stringify({
      images: IMAGES,
      zipMb: Math.round(bytes / 1024 / 1024),
      sources: job?.sourceCount,
      seconds: Number(seconds.toFixed(1)),
      rssBeforeMb: Math.round(rssBefore / 1024 / 1024),
      peakRssDuringExpansionMb: Math.round(rssDuring / 1024 / 1024),
      peakRssOfProcessMb: Math.round(peakRssMb(process.pid)),
      heapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024),
    }),
  );
  await app.close();
  await ports.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
