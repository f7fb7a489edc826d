import assert from 'node:assert/strict';
import type { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { writeArchive } from '@delta-augment/augmenter';
import { blobKeys, type DatasetSpec, type ImageLabels, newId, writeCoco } from '@delta-augment/core';
import type { BlobStore } from '@delta-augment/ports';
import { completeSource, createJob, type Fixture, fixture } from '../helpers/jobs.js';
import { readZip } from '../helpers/zip.js';

const SOURCES = 30;
const VARIANTS = 4;

/**
 * Watches how the exporter reads variant images: how many are open (read but not yet consumed to their end) at once,
 * and whether any is read whole into memory (getBuffer).
 */
const watching = (inner: BlobStore) => {
  let open = 0;
  let mostOpen = 0;
  let buffered = 0;
  const blobs = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'get') {
        return async (key: string) => {
          const stream = (await target.get(key)) as Readable;
          if (!key.endsWith('.jpg')) return stream;
          open += 1;
          mostOpen = Math.max(mostOpen, open);
          // consumed when its last byte is read ('end'), or dropped ('close' without 'end'), whichever comes
          // first: 'close' alone lags behind 'end' under load, and the next image may open in between
          let consumed = false;
          const done = () => {
            if (consumed) return;
            consumed = true;
            open -= 1;
          };
          stream.once('end', done);
          stream.once('close', done);
          return stream;
        };
      }
      if (property === 'getBuffer') {
        return (key: string) => {
          if (key.endsWith('.jpg')) buffered += 1;
          return target.getBuffer(key);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { blobs, mostOpen: () => mostOpen, buffered: () => buffered };
};

const labelsOf = (i: number, v: number): ImageLabels => ({
  width: 64,
  height: 48,
  objects: [
    { category: i % 2, box: { x: v, y: 2, width: 10 + i, height: 8 } },
    { category: 1, box: { x: 30, y: 20, width: 5, height: 5 } },
  ],
});

/** A COCO dataset job of 30 completed sources (24 train, 3 valid, 3 test) x 4 outputs, labels stored per output. */
const seedCocoJob = async (f: Fixture, exportAs: DatasetSpec['export']) => {
  const jobId = newId('j');
  const splits = ['train', 'valid', 'test'] as const;
  const sources = Array.from({ length: SOURCES }, (_, i) => {
    const sourceId = newId('s');
    const name = `img_${String(i).padStart(3, '0')}.jpg`;
    const split = i < 24 ? splits[0] : splits[i % 2 ? 1 : 2];
    return { sourceId, name, label: '', split, key: blobKeys.source(jobId, sourceId, name) };
  });
  const dataset: DatasetSpec = {
    format: 'coco',
    export: exportAs,
    categories: [{ name: 'cat' }, { name: 'dog' }],
    minVisibility: 0.25,
    augmentSplits: 'all',
    includeOriginals: false,
    skipped: [],
  };
  await createJob(f.jobs, jobId, sources, { variants: VARIANTS, dataset });
  const expected = new Map<string, ImageLabels>();
  for (const [i, source] of sources.entries()) {
    const variants = [];
    for (let v = 0; v < VARIANTS; v++) {
      const key = `results/${jobId}/${source.sourceId}/${v}.jpg`;
      const labelsKey = `results/${jobId}/${source.sourceId}/${v}.labels.json`;
      const labels = labelsOf(i, v);
      await f.ports.blobs.put(key, Buffer.from(`image ${i}/${v}`));
      await f.ports.blobs.put(labelsKey, Buffer.from(JSON.stringify({ labels, dropped: [] })));
      expected.set(`${source.split}/img_${String(i).padStart(3, '0')}_00${v}.jpg`, labels);
      variants.push({ index: v, key, bytes: 9, operations: [], labels: { key: labelsKey, kept: [1, 1], dropped: 0 } });
    }
    await completeSource(f.jobs, jobId, source.sourceId, variants);
  }
  return { jobId, expected };
};

describe('a labelled dataset export, streamed into its archive', () => {
  let f: Fixture;
  after(() => f.close());

  it('copies one output image at a time, never buffered, and lists every output in the COCO files and the manifest', async () => {
    // Prepare
    f = fixture();
    const { jobId, expected } = await seedCocoJob(f, 'coco');
    const watched = watching(f.ports.blobs);
    const job = await f.jobs.load(jobId);
    assert.ok(job);
    // Act
    const archive = await writeArchive(watched.blobs, f.jobs, job);
    // Assess
    assert.equal(archive.count, SOURCES * VARIANTS);
    assert.equal(watched.mostOpen(), 1, 'one output image open at a time');
    assert.equal(watched.buffered(), 0, 'no output image read whole');
    const zip = await readZip(await f.ports.blobs.getBuffer(archive.key));
    for (const [file, labels] of expected) {
      const split = file.slice(0, file.indexOf('/'));
      assert.ok(zip.has(file), file);
      const coco = JSON.parse((zip.get(`${split}/_annotations.coco.json`) as Buffer).toString('utf8'));
      const image = coco.images.find((i: { file_name: string }) => `${split}/${i.file_name}` === file);
      const boxes = coco.annotations
        .filter((a: { image_id: number }) => a.image_id === image.id)
        .map((a: { bbox: number[] }) => a.bbox);
      assert.deepEqual(
        boxes,
        labels.objects.map((o) => [o.box.x, o.box.y, o.box.width, o.box.height]),
      );
    }
    const train = JSON.parse((zip.get('train/_annotations.coco.json') as Buffer).toString('utf8'));
    assert.equal(train.images.length, 24 * VARIANTS);
    assert.deepEqual(
      train.categories.map((c: { name: string }) => c.name),
      ['cat', 'dog'],
    );
    const manifest = JSON.parse((zip.get('manifest.json') as Buffer).toString('utf8'));
    assert.equal(manifest.variants.length, SOURCES * VARIANTS);
    assert.deepEqual(manifest.failed, []);
    assert.ok(manifest.variants.every((v: { labels: { kept: number } }) => v.labels.kept === 2));
  });

  it('writes the same COCO document, piece by piece, as the whole-document writer', async () => {
    // Prepare
    const { cocoDocument } = await import('@delta-augment/core');
    const categories = [
      { name: 'cat' },
      { name: 'dog', keypoints: ['nose'], skeleton: [[1, 1]] as [number, number][] },
    ];
    const images = Array.from({ length: 5 }, (_, i) => ({ fileName: `${i}.jpg`, labels: labelsOf(i, i) }));
    const replay = async function* () {
      yield* images;
    };
    // Act
    let streamed = '';
    for await (const piece of cocoDocument(categories, replay)) streamed += piece;
    // Assess
    assert.equal(streamed, writeCoco(categories, images));
  });

  for (const exportAs of ['yolo', 'voc'] as const) {
    it(`exports ${exportAs} one label file per output, streamed`, async () => {
      // Prepare
      f = fixture();
      const { jobId, expected } = await seedCocoJob(f, exportAs);
      const watched = watching(f.ports.blobs);
      const job = await f.jobs.load(jobId);
      assert.ok(job);
      // Act
      const archive = await writeArchive(watched.blobs, f.jobs, job);
      // Assess
      assert.equal(watched.mostOpen(), 1);
      const zip = await readZip(await f.ports.blobs.getBuffer(archive.key));
      const labelFiles = [...zip.keys()].filter((k) => k.endsWith(exportAs === 'yolo' ? '.txt' : '.xml'));
      assert.equal(labelFiles.length, expected.size);
      if (exportAs === 'yolo') assert.match((zip.get('data.yaml') as Buffer).toString('utf8'), /nc: 2/);
    });
  }
});
