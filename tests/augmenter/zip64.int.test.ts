import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { writeArchive } from '@delta-augment/augmenter';
import { blobKeys, newId } from '@delta-augment/core';
import type { BlobStore } from '@delta-augment/ports';
import { completeSource, createJob, type Fixture, fixture } from '../helpers/jobs.js';
import { tempDir } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';

/** Zip64's end of central directory record and its locator. */
const ZIP64_END = Buffer.from([0x50, 0x4b, 0x06, 0x06]);
const ZIP64_LOCATOR = Buffer.from([0x50, 0x4b, 0x06, 0x07]);
/** A central directory file header: where the central directory starts. */
const CENTRAL_HEADER = Buffer.from([0x50, 0x4b, 0x01, 0x02]);

/** Records the chunks of the archive as the blob store receives them. */
const recordingPuts = (inner: BlobStore, chunks: Buffer[]): BlobStore =>
  new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'put') {
        return async (key: string, body: Readable | Buffer, ...rest: unknown[]) => {
          const recorded =
            key.endsWith('archive.zip') && !Buffer.isBuffer(body)
              ? body.pipe(
                  new Transform({
                    transform(chunk: Buffer, _encoding, done) {
                      chunks.push(chunk);
                      done(null, chunk);
                    },
                  }),
                )
              : body;
          return (target.put as (...a: unknown[]) => unknown).call(target, key, recorded, ...rest);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

/** A job of `count` completed sources in two class folders, each with `variants` variants of distinct bytes. */
const completedJob = async (f: Fixture, count: number, variants: number) => {
  const jobId = newId('j');
  const sources = Array.from({ length: count }, (_, i) => {
    const sourceId = newId('s');
    const name = `img_${String(i).padStart(4, '0')}.jpg`;
    return { sourceId, name, label: i % 2 ? 'cats' : 'dogs', key: blobKeys.source(jobId, sourceId, name) };
  });
  await createJob(f.jobs, jobId, sources, { variants });
  for (const source of sources) {
    const records = Array.from({ length: variants }, (_, index) => ({
      index,
      key: `results/${jobId}/${source.sourceId}/${index}.jpg`,
      bytes: 0,
      operations: [],
    }));
    for (const r of records) await f.ports.blobs.put(r.key, Buffer.from(`${source.name} variant ${r.index}`));
    await completeSource(f.jobs, jobId, source.sourceId, records);
  }
  const job = await f.jobs.load(jobId);
  assert.ok(job);
  return job;
};

describe('the archive writer', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('writes Zip64 records when forced, and yauzl and the unzip binary read every entry back', async () => {
    // Prepare: 3 sources x 2 variants (the >65,535-entry case is npm run bench:archive: it takes a minute)
    f = fixture();
    const job = await completedJob(f, 3, 2);
    // Act
    const archive = await writeArchive(f.ports.blobs, f.jobs, job, { forceZip64: true });
    // Assess: the Zip64 end record and locator, then every entry's bytes through both readers
    const zip = await f.ports.blobs.getBuffer(archive.key);
    const file = join(tempDir(), 'archive.zip');
    writeFileSync(file, zip);
    const end = zip.subarray(-200);
    assert.ok(end.includes(ZIP64_END), 'a Zip64 end of central directory record');
    assert.ok(end.includes(ZIP64_LOCATOR), 'a Zip64 end of central directory locator');
    assert.equal(archive.count, 6);
    const entries = await readZip(zip);
    assert.equal(entries.size, 8);
    assert.equal(entries.get('dogs/img_0000_000.jpg')?.toString(), 'img_0000.jpg variant 0');
    assert.equal(entries.get('cats/img_0001_001.jpg')?.toString(), 'img_0001.jpg variant 1');
    assert.equal(entries.get('manifest.csv')?.toString().trim().split('\n').length, 7);
    assert.equal((JSON.parse(entries.get('manifest.json')?.toString() ?? '{}') as { variants: [] }).variants.length, 6);
    // unzip tests every entry's CRC
    assert.match(execFileSync('unzip', ['-t', file], { encoding: 'utf8' }), /No errors detected in compressed data/);
    assert.equal(
      execFileSync('unzip', ['-p', file, 'dogs/img_0002_001.jpg'], { encoding: 'utf8' }),
      'img_0002.jpg variant 1',
    );
  });

  it('writes no Zip64 record for a small archive unless forced', async () => {
    f = fixture();
    const job = await completedJob(f, 2, 2);
    const archive = await writeArchive(f.ports.blobs, f.jobs, job);
    const zip = await f.ports.blobs.getBuffer(archive.key);
    assert.equal(zip.includes(ZIP64_END), false);
    assert.equal((await readZip(zip)).size, 6);
  });

  it('sends the central directory in a few large writes, not one per header field (100,000 entries exhausted the heap)', async () => {
    // Prepare: 100 sources x 10 variants
    f = fixture();
    const job = await completedJob(f, 100, 10);
    const chunks: Buffer[] = [];
    // Act
    await writeArchive(recordingPuts(f.ports.blobs, chunks), f.jobs, job);
    // Assess: from the first central directory header to the end of the archive
    const first = chunks.findIndex((c) => c.subarray(0, 4).equals(CENTRAL_HEADER));
    assert.ok(first > 0, 'the central directory starts a chunk');
    const tail = chunks.slice(first);
    const bytes = tail.reduce((n, c) => n + c.length, 0);
    assert.ok(bytes > 1002 * 46, `the central directory holds every entry's header (${bytes} bytes)`);
    assert.ok(tail.length <= Math.ceil(bytes / 65_536) + 1, `${tail.length} writes for ${bytes} bytes`);
  });
});
