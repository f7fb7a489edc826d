/**
 * Archive benchmark: the archive writer (finaliseJob → writeArchive) on a job of many completed sources,
 * on the local SQLite/fs adapters, in a process with the local worker's heap limit. Prints entries per
 * second, the archive's size and the process's peak RSS and heap; checks that the zip ends with a Zip64
 * end-of-central-directory record when it has over 65,535 entries.
 *   node --max-old-space-size=192 --import tsx scripts/bench/archive.ts [--sources 5000] [--variants 20]
 *     [--bytes 3400]
 * (`npm run bench:archive -- --sources 5000` runs it with the local worker's heap limit, 192 MB.) Variant bytes are stored once per index and
 * named by every source's record, so the setup stays quick; the archive still copies one entry per record.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { finaliseJob } from '@delta-augment/augmenter';
import { blobKeys } from '@delta-augment/core';
import { JobService, loadConfig } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import { completeSource, createJob } from '../../tests/helpers/jobs.js';
import { peakRssMb } from './local-stack.js';

const { values } = parseArgs({
  options: {
    sources: { type: 'string', default: '5000' },
    variants: { type: 'string', default: '20' },
    bytes: { type: 'string', default: '3400' },
  },
});
const SOURCES = Number(values.sources);
const VARIANTS = Number(values.variants);
const BYTES = Number(values.bytes);
const ZIP64_END = Buffer.from([0x50, 0x4b, 0x06, 0x06]);

const dataDir = mkdtempSync(join(tmpdir(), 'bench-archive-'));
const ports = localPorts(loadConfig({ DATA_DIR: dataDir }));
const jobs = new JobService(ports.events, ports.bus);
let peakHeap = 0;
const sampler = setInterval(() => {
  peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size);
}, 50);
try {
  const jobId = 'j_benchArchive0000000000';
  const sources = Array.from({ length: SOURCES }, (_, i) => {
    const sourceId = `s_${String(i).padStart(22, '0')}`;
    const name = `img_${String(i).padStart(5, '0')}.jpg`;
    return { sourceId, name, label: ['cats', 'dogs', 'birds', 'fish'][i % 4] as string, key: `sources/${name}` };
  });
  const setupStarted = performance.now();
  await createJob(jobs, jobId, sources, { variants: VARIANTS });
  const keys = Array.from({ length: VARIANTS }, (_, index) => `results/${jobId}/shared/${index}.jpg`);
  for (const [index, key] of keys.entries()) await ports.blobs.put(key, Buffer.alloc(BYTES, index));
  const operations = [{ op: 'rotate', params: { degrees: 12.5 } }];
  const variants = keys.map((key, index) => ({ index, key, bytes: BYTES, operations }));
  for (const source of sources) await completeSource(jobs, jobId, source.sourceId, variants);
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  process.stderr.write(`setup: ${SOURCES} sources x ${VARIANTS} variants recorded in ${setupSeconds.toFixed(1)} s\n`);

  const rssBefore = peakRssMb(process.pid);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await finaliseJob({ blobs: ports.blobs, jobs }, jobId);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const job = await jobs.load(jobId);
  if (job?.status !== 'completed' || !job.archive) throw new Error(`the job ended ${job?.status}`);
  const file = join(dataDir, 'blobs', 'objects', ...blobKeys.archive(jobId).split('/'));
  const size = statSync(file).size;
  const tail = Buffer.alloc(Math.min(200, size));
  const fd = openSync(file, 'r');
  readSync(fd, tail, 0, tail.length, size - tail.length);
  closeSync(fd);
  const entries = job.archive.count + 2;
  console.log(
    '| entries | archive | time | entries/s | CPU | peak RSS (setup → archive) | peak heap | Zip64 end record |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    `| ${entries.toLocaleString('en')} | ${(size / 1e6).toFixed(0)} MB | ${seconds.toFixed(1)} s | ${Math.round(entries / seconds).toLocaleString('en')} | ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s | ${rssBefore.toFixed(0)} → ${peakRssMb(process.pid).toFixed(0)} MB | ${(peakHeap / 2 ** 20).toFixed(0)} MB | ${tail.includes(ZIP64_END) ? 'yes' : 'no'} |`,
  );
  if (entries > 65_535 && !tail.includes(ZIP64_END)) {
    console.error('an archive of over 65,535 entries without a Zip64 end record');
    process.exitCode = 1;
  }
} finally {
  clearInterval(sampler);
  await ports.close();
  rmSync(dataDir, { recursive: true, force: true });
}
