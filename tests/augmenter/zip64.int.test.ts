import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createWriteStream, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, describe, it } from 'node:test';
import { finaliseJob } from '@delta-augment/augmenter';
import { blobKeys, newId } from '@delta-augment/core';
import yauzl from 'yauzl';
import { completeSource, createJob, type Fixture, fixture } from '../helpers/jobs.js';
import { tempDir } from '../helpers/server.js';

const SOURCES = 3_300;
const VARIANTS = 20;
/** Zip64's end of central directory record, written when the classic one cannot hold the archive. */
const ZIP64_END = Buffer.from([0x50, 0x4b, 0x06, 0x06]);

/** The names of a zip file's entries, read by yauzl from the central directory. */
const entryNames = (file: string): Promise<{ names: string[]; declared: number }> =>
  new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const names: string[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        zip.readEntry();
      });
      zip.on('end', () => resolve({ names, declared: zip.entryCount }));
      zip.on('error', reject);
      zip.readEntry();
    });
  });

/** The last `bytes` bytes of a file. */
const tail = (file: string, bytes: number): Buffer => {
  const size = statSync(file).size;
  const buffer = Buffer.alloc(Math.min(bytes, size));
  readSync(openSync(file, 'r'), buffer, 0, buffer.length, size - buffer.length);
  return buffer;
};

describe('an archive of more than 65,535 entries (Zip64), written by the archive writer', () => {
  let f: Fixture;
  after(() => f.close());

  it('is read back whole by yauzl and by the unzip binary, its variants and manifests in place', async () => {
    // Prepare: 3,300 completed sources x 20 variants = 66,000 variants + 2 manifests
    f = fixture();
    const jobId = newId('j');
    const sources = Array.from({ length: SOURCES }, (_, i) => {
      const sourceId = newId('s');
      const name = `img_${String(i).padStart(5, '0')}.jpg`;
      return { sourceId, name, label: i % 2 ? 'cats' : 'dogs', key: blobKeys.source(jobId, sourceId, name) };
    });
    await createJob(f.jobs, jobId, sources, { variants: VARIANTS });
    // The variant bytes are stored once per index and shared by every source: the archive copies what each record names.
    const variantKeys = Array.from({ length: VARIANTS }, (_, index) => `results/${jobId}/shared/${index}.jpg`);
    for (const [index, key] of variantKeys.entries()) await f.ports.blobs.put(key, Buffer.from(`variant ${index}`));
    const variants = variantKeys.map((key, index) => ({ index, key, bytes: 9, operations: [] }));
    for (const source of sources) await completeSource(f.jobs, jobId, source.sourceId, variants);
    // Act
    await finaliseJob({ blobs: f.ports.blobs, jobs: f.jobs }, jobId);
    // Assess
    const job = await f.jobs.load(jobId);
    assert.equal(job?.status, 'completed');
    assert.equal(job?.archive?.count, SOURCES * VARIANTS);
    const file = join(tempDir(), 'archive.zip');
    await pipeline(await f.ports.blobs.get(blobKeys.archive(jobId)), createWriteStream(file));
    assert.ok(tail(file, 200).includes(ZIP64_END), 'the zip ends with a Zip64 end of central directory record');

    const { names, declared } = await entryNames(file);
    assert.equal(declared, SOURCES * VARIANTS + 2);
    assert.equal(new Set(names).size, names.length);
    assert.ok(names.includes('dogs/img_00000_000.jpg'));
    assert.ok(names.includes(`cats/img_0${SOURCES - 1}_019.jpg`));
    assert.ok(names.includes('manifest.json') && names.includes('manifest.csv'));

    // unzip tests every entry's CRC and reads the last one back.
    const tested = execFileSync('unzip', ['-tq', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
    assert.match(tested, /No errors detected/);
    const last = execFileSync('unzip', ['-p', file, `cats/img_0${SOURCES - 1}_019.jpg`], { encoding: 'utf8' });
    assert.equal(last, 'variant 19');
    const csv = execFileSync('unzip', ['-p', file, 'manifest.csv'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(csv.trim().split('\n').length, SOURCES * VARIANTS + 1);
  });
});
