import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { archiveZip } from '@delta-augment/augmenter';
import { ZipArchive } from 'archiver';
import { tempDir } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';

const DATE = new Date('2020-01-01T00:00:00Z');

/** CRC-32 (IEEE 802.3, reflected), bit by bit: the independent expectation. */
const referenceCrc = (data: Buffer): number => {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
};

/** Entries like an archive's: stored images of a few sizes, an empty one, and streamed manifests. */
const entries = (): { name: string; data: Buffer; stream?: boolean }[] => [
  { name: 'a/one_000.jpg', data: randomBytes(175_000) },
  { name: 'a/one_001.jpg', data: randomBytes(1) },
  { name: 'empty.jpg', data: Buffer.alloc(0) },
  { name: 'b/two_000.png', data: randomBytes(70_001) },
  { name: 'manifest.json', data: Buffer.from('{"variants":[]}\n'), stream: true },
];

/** The bytes of a zip: each entry appended when the previous one is written, as writeArchive does. */
const zipBytes = async (zip: ZipArchive, list: ReturnType<typeof entries>): Promise<Buffer> => {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise((done) => out.on('end', done));
  zip.pipe(out);
  for (const { name, data, stream } of list) {
    const written = new Promise((done) => zip.once('entry', done));
    zip.append(stream ? Readable.from([data]) : data, { name, date: DATE });
    await written;
  }
  await zip.finalize();
  await ended;
  return Buffer.concat(chunks);
};

/** CRC-32 of each entry as the central directory records it, by file name. */
const centralCrcs = (zip: Buffer): Map<string, number> => {
  const crcs = new Map<string, number>();
  for (let at = zip.indexOf('PK\x01\x02'); at >= 0; at = zip.indexOf('PK\x01\x02', at + 4)) {
    const nameLength = zip.readUInt16LE(at + 28);
    crcs.set(zip.toString('utf8', at + 46, at + 46 + nameLength), zip.readUInt32LE(at + 16));
  }
  return crcs;
};

describe("the archive's zip writer (stored entries checksummed natively)", () => {
  it('writes the same bytes as archiver itself for stored, empty and streamed entries', async () => {
    // Prepare
    const list = entries();

    // Act
    const ours = await zipBytes(archiveZip(), list);
    const archivers = await zipBytes(new ZipArchive({ zlib: { level: 0 }, store: true }), list);

    // Assess
    assert.equal(ours.length, archivers.length);
    assert.ok(ours.equals(archivers), 'the zips differ');
  });

  it('records the CRC-32 of each entry (checked bit by bit and by unzip -t)', async (t) => {
    // Prepare
    const list = entries();

    // Act
    const zip = await zipBytes(archiveZip(), list);

    // Assess
    const crcs = centralCrcs(zip);
    for (const { name, data } of list) assert.equal(crcs.get(name), referenceCrc(data), name);
    const read = await readZip(zip);
    for (const { name, data } of list) assert.ok(read.get(name)?.equals(data), name);
    if (spawnSync('unzip', ['-v']).status !== 0) {
      t.diagnostic('unzip is not installed: the archive was not tested with it');
      return;
    }
    const path = join(tempDir(), 'checked.zip');
    writeFileSync(path, zip);
    const test = spawnSync('unzip', ['-t', path], { encoding: 'utf8' });
    assert.equal(test.status, 0, test.stdout + test.stderr);
    assert.match(test.stdout, /No errors detected/);
  });
});
