import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseLabelled } from '@delta-augment/core';
import { expandDataset } from '@delta-augment/datasets';
import { failLateUploads } from '@delta-augment/gateway';
import type { BlobStore, ByteRange } from '@delta-augment/ports';
import { JobService } from '@delta-augment/ports';
import sharp from 'sharp';
import { type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg, noiseJpeg as noiseOf } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import { datasetFilesOf, photoItems, yoloZip } from '../labels/photo-dataset.js';
import { declareUncompressedSize, makeZip } from './fixtures.js';

const MAX_DATASET_BYTES = 4 * 1024 * 1024;

/** A JPEG of noise (it does not compress: about 40 KB), a little wider for each seed. */
const noiseJpeg = (seed: number) => noiseOf(200 + seed, 150);

/** A class-folder zip of generated images: `count` images over three classes. */
const classFolderZip = async (count: number, noisy = false): Promise<Buffer> => {
  const entries = [];
  for (let i = 0; i < count; i++)
    entries.push({
      name: `dataset/${['cats', 'dogs', 'owls'][i % 3]}/img_${i}.jpg`,
      data: noisy ? await noiseJpeg(i) : await gradientJpeg(40 + i, 30),
    });
  return makeZip(entries);
};

describe('a dataset zip uploaded through a signed URL', () => {
  let t: TestApp;
  let base: string;
  before(async () => {
    t = await testApp({ workers: true, env: { MAX_DATASET_BYTES: String(MAX_DATASET_BYTES), MAX_PIXELS: '4000000' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
  });
  after(() => t.close());

  const create = (body: Record<string, unknown>) =>
    fetch(`${base}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** The signed URL, pointed at this test's server (the test app signs for another origin). */
  const put = (url: string, data: Buffer) => {
    const signed = new URL(url);
    return fetch(`${base}${signed.pathname}${signed.search}`, { method: 'PUT', body: new Uint8Array(data) });
  };

  const settled = (id: string) =>
    waitFor(
      async () => {
        const view = await (await fetch(`${base}/api/jobs/${id}`)).json();
        return view.status === 'completed' || view.status === 'failed' ? view : undefined;
      },
      120_000,
      `job ${id}`,
    );

  it('signs one PUT for the zip, reads it from storage and completes the job with its class folders', async () => {
    // Prepare
    const zip = await classFolderZip(9);
    // Act
    const created = await create({ dataset: { name: 'pets.zip', bytes: zip.length }, variants: 2, seed: 3 });
    const job = await created.json();
    const [upload] = job.uploads;
    const stored = await put(upload.url, zip);
    const view = await settled(job.id);
    // Assess
    assert.equal(created.status, 201);
    assert.equal(job.uploads.length, 1);
    assert.equal(upload.bytes, zip.length);
    assert.equal(stored.status, 200);
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.deepEqual(view.progress, { done: 18, total: 18 });
    const entries = await readZip(Buffer.from(await (await fetch(`${base}/api/jobs/${job.id}/archive`)).arrayBuffer()));
    const images = [...entries.keys()].filter((name) => name.endsWith('.jpg'));
    assert.equal(images.length, 18);
    for (const label of ['cats', 'dogs', 'owls'])
      assert.equal(images.filter((name) => name.startsWith(`${label}/`)).length, 6, label);
  });

  it('reads a labelled (YOLO) zip, splits it and exports it as COCO', async () => {
    // Prepare
    const zip = await yoloZip(await photoItems());
    // Act
    const job = await (
      await create({
        dataset: { name: 'yolo.zip', bytes: zip.length },
        variants: 1,
        seed: 5,
        export: 'coco',
        split: '80,10,10',
      })
    ).json();
    await put(job.uploads[0].url, zip);
    const view = await settled(job.id);
    // Assess
    assert.equal(view.status, 'completed', JSON.stringify(view.failure));
    const entries = await readZip(Buffer.from(await (await fetch(`${base}/api/jobs/${job.id}/archive`)).arrayBuffer()));
    assert.ok(entries.has('train/_annotations.coco.json'), [...entries.keys()].join(', '));
    const parsed = parseLabelled('coco', await datasetFilesOf(entries), 'fail');
    assert.ok(parsed.items.length >= 10, `${parsed.items.length} items`);
  });

  it('signs the zip again for a client whose URL was lost, and not once it is stored', async () => {
    // Prepare
    const zip = await classFolderZip(3);
    const job = await (await create({ dataset: { name: 'resume.zip', bytes: zip.length }, variants: 1 })).json();
    // Act
    const resumed = await (await fetch(`${base}/api/jobs/${job.id}/uploads`, { method: 'POST' })).json();
    const stored = await put(resumed.uploads[0].url, zip);
    await settled(job.id);
    const after = await fetch(`${base}/api/jobs/${job.id}/uploads`, { method: 'POST' });
    // Assess
    assert.equal(resumed.uploads.length, 1);
    assert.equal(resumed.uploads[0].sourceId, 'dataset');
    assert.equal(stored.status, 200);
    assert.equal(after.status, 410, 'the job has ended: its uploads are closed');
  });

  it('refuses a declared zip over MAX_DATASET_BYTES with a 413 naming it', async () => {
    // Act
    const response = await create({ dataset: { name: 'big.zip', bytes: MAX_DATASET_BYTES + 1 } });
    // Assess
    assert.equal(response.status, 413);
    const { error } = await response.json();
    assert.equal(error.field, 'dataset.bytes');
    assert.match(error.message, /MAX_DATASET_BYTES/);
  });

  it('refuses a PUT of more bytes than were declared', async () => {
    // Prepare
    const zip = await classFolderZip(3);
    const job = await (await create({ dataset: { name: 'pets.zip', bytes: zip.length - 10 } })).json();
    // Act
    const response = await put(job.uploads[0].url, zip);
    // Assess
    assert.equal(response.status, 413);
    assert.match((await response.json()).error.message, /declared/);
  });

  it('fails the job, with the reason, when the zip breaks a rule (an entry that is not an image)', async () => {
    // Prepare: a "jpg" whose bytes are text
    const zip = await makeZip([
      { name: 'cats/a.jpg', data: await gradientJpeg() },
      { name: 'cats/b.jpg', data: Buffer.from('not an image at all, just text') },
    ]);
    const job = await (await create({ dataset: { name: 'bad.zip', bytes: zip.length } })).json();
    // Act
    await put(job.uploads[0].url, zip);
    const view = await settled(job.id);
    // Assess
    assert.equal(view.status, 'failed');
    assert.match(view.failure ?? JSON.stringify(view), /bad\.zip was refused: .*b\.jpg/);
  });

  it('records the sources once when the upload message is delivered again', async () => {
    // Prepare
    const zip = await classFolderZip(4);
    const job = await (await create({ dataset: { name: 'again.zip', bytes: zip.length }, variants: 1 })).json();
    await put(job.uploads[0].url, zip);
    await settled(job.id);
    const jobs = new JobService(t.ports.events, t.ports.bus);
    // Act: the same message once more
    await expandDataset({ jobs, blobs: t.ports.blobs, config: t.config }, job.id);
    // Assess
    const events = await jobs.read(job.id);
    assert.equal(events.filter((e) => e.type === 'DatasetExpanded').length, 1);
    assert.equal(events.filter((e) => e.type === 'SourceUploaded').length, 4);
    assert.equal((await jobs.load(job.id))?.status, 'completed');
  });
});

describe('reading an uploaded dataset zip', () => {
  it('reads the zip in ranges, never whole, and under two ranged gets per image', async () => {
    // Prepare: a store that records every read of the zip
    const t = await testApp({ env: { MAX_DATASET_BYTES: String(MAX_DATASET_BYTES) } });
    try {
      const zip = await classFolderZip(30, true);
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { dataset: { name: 'ranged.zip', bytes: zip.length }, variants: 1 },
      });
      const job = created.json();
      const key = `sources/${job.id}/dataset/ranged.zip`;
      await t.ports.blobs.put(key, zip);
      const reads: (ByteRange | 'whole')[] = [];
      const store = t.ports.blobs;
      const blobs = new Proxy(store, {
        get(target, prop) {
          if (prop === 'get')
            return (k: string, range?: ByteRange) => {
              if (k === key) reads.push(range ?? 'whole');
              return target.get(k, range);
            };
          if (prop === 'getBuffer')
            return (k: string) => {
              if (k === key) reads.push('whole');
              return target.getBuffer(k);
            };
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as BlobStore;
      const jobs = new JobService(t.ports.events, t.ports.bus);
      // Act
      await expandDataset({ jobs, blobs, config: t.config }, job.id);
      // Assess
      assert.equal((await jobs.load(job.id))?.sourceCount, 30);
      assert.ok(!reads.includes('whole'), 'the zip was read whole');
      const ranges = reads as ByteRange[];
      assert.ok(ranges.length > 30, `${ranges.length} reads`);
      // Two passes over 30 images: the central directory records and local headers come in shared windows, so
      // each image costs under two gets a pass (without the windows: four, 242 in all)
      assert.ok(ranges.length < 2 * 2 * 30, `${ranges.length} reads`);
      // The largest read is yauzl's search for the end of the central directory (its last 64 KiB + 42 bytes: the comment, the record and a Zip64 locator)
      const largest = Math.max(...ranges.map((r) => r.end - r.start));
      assert.ok(zip.length > 4 * 65_577, `the zip is only ${zip.length} bytes`);
      assert.ok(largest <= 65_577, `a read of ${largest} of ${zip.length} bytes`);
    } finally {
      await t.close();
    }
  });

  /** Flat (so it deflates to almost nothing) uncompressed TIFFs of 300 x 300: 270 KB each once inflated. */
  const flatTiffs = async (count: number) => {
    const tiff = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#4080c0' } })
      .tiff({ compression: 'none' })
      .toBuffer();
    return makeZip(Array.from({ length: count }, (_, i) => ({ name: `dataset/blue/flat_${i}.tiff`, data: tiff })));
  };

  for (const [what, zipOf, reason, env] of [
    ['more images than MAX_FILES_PER_JOB', () => classFolderZip(4), /more than 3 images \(MAX_FILES_PER_JOB\)/, {}],
    [
      'an entry that inflates past the size its header declares (a zip bomb)',
      async () => declareUncompressedSize(await makeZip([{ name: 'bomb.jpg', data: Buffer.alloc(2_000_000) }]), 1000),
      /bomb\.jpg inflates past the 1000 bytes its header declares/,
      {},
    ],
    [
      'images that inflate past MAX_DATASET_BYTES in all, each within its own limits (a zip bomb)',
      () => flatTiffs(6),
      /flat_3\.tiff inflates past its limit \(MAX_FILE_BYTES \d+ per image, MAX_DATASET_BYTES 1048576 in all\)/,
      { MAX_DATASET_BYTES: '1048576', MAX_FILES_PER_JOB: '10' },
    ],
    [
      'an image larger than MAX_FILE_BYTES (read from its header, before it is inflated)',
      async () => makeZip([{ name: 'dataset/cats/big.jpg', data: await noiseJpeg(0) }]),
      /dataset\/cats\/big\.jpg is \d+ bytes; the limit \(MAX_FILE_BYTES\) is 10240/,
      { MAX_FILE_BYTES: '10240' },
    ],
    [
      'an image over MAX_PIXELS (from its header, never decoded)',
      async () => makeZip([{ name: 'dataset/cats/wide.jpg', data: await gradientJpeg(200, 100) }]),
      /wide\.jpg is 200x100 = 20000 pixels; the limit \(MAX_PIXELS\) is 10000/,
      { MAX_PIXELS: '10000' },
    ],
    [
      'label files past MAX_LABEL_BYTES in all (they are held in memory while the zip is read)',
      async () =>
        makeZip([
          { name: 'images/a.jpg', data: await gradientJpeg() },
          ...[0, 1, 2].map((i) => ({ name: `labels/notes_${i}.txt`, data: Buffer.alloc(1000, 'x') })),
        ]),
      /the label files pass 2048 bytes in all at labels\/notes_2\.txt \(MAX_LABEL_BYTES\)/,
      { MAX_LABEL_BYTES: '2048' },
    ],
    [
      'a YOLO label naming an undeclared class',
      async () =>
        makeZip([
          { name: 'data.yaml', data: Buffer.from('names:\n  - cat\n') },
          { name: 'images/a.jpg', data: await gradientJpeg() },
          { name: 'labels/a.txt', data: Buffer.from('4 0.5 0.5 0.2 0.2\n') },
        ]),
      /labels\/a\.txt line 1/,
      {},
    ],
  ] as const) {
    it(`fails the job, naming the rule, for ${what}`, async () => {
      // Prepare
      const t = await testApp({ env: { MAX_FILES_PER_JOB: '3', ...env } });
      try {
        const zip = await zipOf();
        const job = (
          await t.app.inject({
            method: 'POST',
            url: '/api/jobs',
            payload: { dataset: { name: 'bad.zip', bytes: zip.length }, variants: 1 },
          })
        ).json();
        await t.ports.blobs.put(`sources/${job.id}/dataset/bad.zip`, zip);
        const jobs = new JobService(t.ports.events, t.ports.bus);
        // Act: the zip's message, delivered twice
        await expandDataset({ jobs, blobs: t.ports.blobs, config: t.config }, job.id);
        await expandDataset({ jobs, blobs: t.ports.blobs, config: t.config }, job.id);
        // Assess
        const state = await jobs.load(job.id);
        assert.equal(state?.status, 'failed');
        assert.match(state?.failure ?? '', reason);
        assert.equal((await jobs.read(job.id)).filter((e) => e.type === 'JobFailed').length, 1);
        assert.equal(state?.sourceCount, 0);
      } finally {
        await t.close();
      }
    });
  }

  it('fails the job at the upload deadline when the zip never arrives', async () => {
    // Prepare
    const t = await testApp({ env: { UPLOAD_DEADLINE_SECONDS: '60' } });
    try {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { dataset: { name: 'late.zip', bytes: 1000 } },
      });
      const job = created.json();
      const jobs = new JobService(t.ports.events, t.ports.bus);
      // Act: the sweep, two minutes later
      const failed = await failLateUploads({
        events: t.ports.events,
        jobs,
        blobs: t.ports.blobs,
        clock: { now: () => Date.now() + 120_000 },
        deadlineSeconds: 60,
        finalise: async () => undefined,
      });
      // Assess
      const state = await jobs.load(job.id);
      assert.equal(failed, 1);
      assert.equal(state?.status, 'failed');
      assert.match(state?.failure ?? '', /UPLOAD_DEADLINE_SECONDS/);
      const events = await jobs.read(job.id);
      assert.equal(events.filter((e) => e.type === 'JobFailed').length, 1);
    } finally {
      await t.close();
    }
  });
});
