import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type Box,
  type DatasetFiles,
  iou,
  type LabelFormat,
  type LabelObject,
  type ParsedDataset,
  parseLabelled,
} from '@delta-augment/core';
import { makeZip } from '../gateway/fixtures.js';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import {
  CATEGORIES,
  cocoZip,
  colourBox,
  datasetFilesOf,
  OBJECT_COLOURS,
  outlined,
  type PhotoItem,
  photoItems,
  vocZip,
  yoloZip,
} from './photo-dataset.js';

const PIPELINE = JSON.stringify({
  steps: [
    { op: 'rotate', angle: [-20, 20], mode: 'fill', probability: 0.8 },
    { op: 'flip', direction: 'random', probability: 0.5 },
    { op: 'zoom', factor: [1, 1.15], probability: 0.5 },
  ],
});

const ZIPS: Record<Exclude<LabelFormat, 'folders'>, (items: readonly PhotoItem[]) => Promise<Buffer>> = {
  coco: cocoZip,
  yolo: yoloZip,
  voc: vocZip,
};

const readBack = async (
  archive: Buffer,
  format: Exclude<LabelFormat, 'folders'>,
): Promise<{ parsed: ParsedDataset; files: DatasetFiles; entries: Map<string, Buffer> }> => {
  const entries = await readZip(archive);
  const files = await datasetFilesOf(entries);
  return { parsed: parseLabelled(format, files, 'fail'), files, entries };
};

/** A box grown by `margin` on every side. */
const grown = (box: Box, margin: number): Box => ({
  x: box.x - margin,
  y: box.y - margin,
  width: box.width + 2 * margin,
  height: box.height + 2 * margin,
});

/** The object's box against its colour's pixels near it (the box grown by `margin`): IoU >= 0.85. */
const assertOnItsColour = async (
  parsed: ParsedDataset,
  entries: ReadonlyMap<string, Buffer>,
  image: string,
  object: LabelObject,
  margin: number,
): Promise<void> => {
  const index = CATEGORIES.findIndex((c) => c.name === parsed.categories[object.category]?.name);
  const colour = OBJECT_COLOURS[index] as readonly number[];
  const pixels = await colourBox(entries.get(image) as Buffer, colour, grown(object.box, margin));
  assert.ok(pixels, `${image}: object ${object.category} has pixels`);
  const overlap = iou(object.box, pixels);
  assert.ok(
    overlap >= 0.85,
    `${image}: ${JSON.stringify(object.box)} vs ${JSON.stringify(pixels)} (IoU ${overlap.toFixed(3)})`,
  );
};

describe('a labelled dataset job', () => {
  let t: TestApp;
  let items: PhotoItem[];
  before(async () => {
    t = await testApp({ workers: true, env: { MAX_PIXELS: '4000000' } });
    items = await photoItems();
  });
  after(() => t.close());

  const post = (zip: Buffer, fields: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'dataset.zip', data: zip, type: 'application/zip' }], fields),
    });

  const finished = async (id: string) => {
    await waitFor(
      async () => {
        const view = (await t.app.inject({ url: `/api/jobs/${id}` })).json();
        if (view.status === 'failed') throw new Error(`job failed: ${JSON.stringify(view)}`);
        return view.status === 'completed' ? view : undefined;
      },
      120_000,
      `job ${id}`,
    );
    const archive = await t.app.inject({ url: `/api/jobs/${id}/archive` });
    assert.equal(archive.statusCode, 200);
    return archive.rawPayload;
  };

  const run = async (input: Exclude<LabelFormat, 'folders'>, exported: Exclude<LabelFormat, 'folders'>) => {
    const zip = await ZIPS[input](items);
    const created = await post(zip, {
      variants: '2',
      seed: '5',
      split: '80,10,10',
      export: exported,
      pipeline: PIPELINE,
    });
    assert.equal(created.statusCode, 202, created.body);
    return finished(created.json().id as string);
  };

  it("serves each output's labels in the asked format and counts classes before and after", async () => {
    // Prepare
    const created = await post(await cocoZip(items.slice(0, 4)), { variants: '2', seed: '3', pipeline: PIPELINE });
    assert.equal(created.statusCode, 202, created.body);
    const id = created.json().id as string;
    await finished(id);
    // Act
    const view = (await t.app.inject({ url: `/api/jobs/${id}` })).json();
    const source = view.sources[0];
    const url = `/api/jobs/${id}/sources/${source.sourceId}/variants/1/labels`;
    const get = (format: string) => t.app.inject({ url: `${url}?format=${format}` });
    const [json, yolo, voc, coco] = [await get('json'), await get('yolo'), await get('voc'), await get('coco')];
    // Assess
    assert.deepEqual(view.dataset.categories, ['magenta', 'cyan']);
    assert.deepEqual(view.dataset.counts.before, [4, 4]);
    const after = view.dataset.counts.after as [number, number];
    assert.equal(
      after[0] + after[1] + view.dataset.counts.dropped,
      16,
      'every object of every output is kept or dropped',
    );
    assert.equal(source.outputs, 2);
    const labels = json.json().labels;
    assert.equal(yolo.headers['content-type'], 'text/plain');
    assert.equal(yolo.body.trim().split('\n').length, labels.objects.length);
    assert.match(voc.body, /<annotation>/);
    assert.deepEqual(
      coco.json().annotations.map((a: { bbox: number[] }) => a.bbox),
      labels.objects.map((o: { box: { x: number; y: number; width: number; height: number } }) =>
        [o.box.x, o.box.y, o.box.width, o.box.height].map((v) => Math.round(v * 100) / 100),
      ),
    );
    assert.equal((await t.app.inject({ url: `${url}?format=xml` })).statusCode, 400);
  });

  describe('when a label file is malformed', () => {
    const broken = async () => {
      const entries = await readZip(await yoloZip(items.slice(0, 3)));
      const name = [...entries.keys()].find((k) => k.startsWith('labels/')) as string;
      entries.set(name, Buffer.from(`${(entries.get(name) as Buffer).toString()}5 0.5 0.5 0.1 0.1\n`));
      return { name, zip: await makeZip([...entries].map(([n, data]) => ({ name: n, data }))) };
    };

    it('refuses the job with a 422 that names the file and line', async () => {
      const { name, zip } = await broken();
      const response = await post(zip, { variants: '1' });
      assert.equal(response.statusCode, 422, response.body);
      assert.deepEqual(response.json().error, {
        code: 'INVALID_LABELS',
        message: `${name} line 3: class 5 is not declared in data.yaml (it names 2)`,
        field: 'file[0]',
      });
    });

    it('with onLabelError=skip, leaves the item out and lists it in the manifest', async () => {
      const { name, zip } = await broken();
      const response = await post(zip, { variants: '1', onLabelError: 'skip', pipeline: PIPELINE });
      assert.equal(response.statusCode, 202, response.body);
      assert.equal(response.json().sources.length, 2);
      const entries = await readZip(await finished(response.json().id as string));
      const manifest = JSON.parse((entries.get('manifest.json') as Buffer).toString('utf8'));
      assert.deepEqual(manifest.skipped, [
        { file: name, line: 3, reason: 'class 5 is not declared in data.yaml (it names 2)' },
      ]);
      for (const variant of manifest.variants)
        assert.ok(Array.isArray(variant.labels.dropped), 'kept and dropped labels per output');
    });
  });

  it('mosaic draws from the other images of the same split, and every merged box is on its object', async () => {
    // Prepare
    const created = await post(await cocoZip(items), {
      variants: '2',
      seed: '8',
      split: '80,10,10',
      export: 'yolo',
      pipeline: JSON.stringify({ steps: [{ op: 'mosaic', probability: 1 }] }),
    });
    assert.equal(created.statusCode, 202, created.body);
    // Act
    const archive = await finished(created.json().id as string);
    const { parsed, entries } = await readBack(archive, 'yolo');
    // Assess: each train variant names three other train sources
    const manifest = JSON.parse((entries.get('manifest.json') as Buffer).toString('utf8'));
    const splitOf = new Map<string, string>(
      manifest.variants.map((v: { source: string; split: string }) => [v.source, v.split]),
    );
    const mosaics = manifest.variants.filter((v: { split: string }) => v.split === 'train');
    assert.equal(mosaics.length, 20);
    for (const v of mosaics) {
      const params = v.operations[0]?.params as { images: string[] };
      assert.equal(v.operations[0]?.op, 'mosaic');
      assert.equal(params.images.length, 3);
      for (const image of params.images) {
        assert.notEqual(image, v.source, 'another image');
        assert.equal(splitOf.get(image), 'train', `${image} is from the same split`);
      }
    }
    let checked = 0;
    for (const item of parsed.items.filter((i) => (i.split ?? 'train') === 'train')) {
      for (const object of item.labels.objects) {
        await assertOnItsColour(parsed, entries, item.image, object, 3);
        checked++;
      }
    }
    assert.ok(checked >= 40, `checked ${checked} boxes`);
  });

  /** The photos with their rectangles labelled by their outlines too (so they can be pasted). */
  const outlinedItems = () => outlined(items);
  const copyPasteFields = (exported: string) => ({
    variants: '2',
    seed: '9',
    split: '80,10,10',
    export: exported,
    pipeline: JSON.stringify({ steps: [{ op: 'copyPaste', probability: 1, objects: [1, 2], scale: [0.6, 1] }] }),
  });

  it('copyPaste gives byte-identical images and labels whatever the number of workers', async () => {
    // Prepare: a second stack whose pool renders one variant at a time (the first renders two at once)
    const single = await testApp({
      workers: true,
      env: { MAX_PIXELS: '4000000', WORKER_CONCURRENCY: '1', RENDER_CONCURRENCY: '1' },
    });
    try {
      const zip = await cocoZip(outlinedItems());
      const run = async (app: TestApp) => {
        const created = await app.app.inject({
          method: 'POST',
          url: '/api/jobs',
          ...multipartBody([{ name: 'dataset.zip', data: zip, type: 'application/zip' }], copyPasteFields('coco')),
        });
        assert.equal(created.statusCode, 202, created.body);
        const id = created.json().id as string;
        await waitFor(
          async () => (await app.app.inject({ url: `/api/jobs/${id}` })).json().status === 'completed' || undefined,
          120_000,
          `job ${id}`,
        );
        return readZip((await app.app.inject({ url: `/api/jobs/${id}/archive` })).rawPayload);
      };
      // Act
      const [many, one] = [await run(t), await run(single)];
      // Assess: the same entries in the same order, every file but the manifest byte-identical (the COCO
      // documents too: images and their ids in output-name order, not in the order they finished rendering)
      assert.equal(t.config.workerConcurrency, 2);
      const names = [...many.keys()].filter((n) => n !== 'manifest.json');
      assert.deepEqual(
        names,
        [...one.keys()].filter((n) => n !== 'manifest.json'),
      );
      assert.ok(names.length > 20);
      assert.ok(names.filter((n) => n.endsWith('_annotations.coco.json')).length >= 2, 'a COCO document per split');
      for (const name of names) {
        const [a, b] = [many.get(name) as Buffer, one.get(name) as Buffer];
        assert.ok(a.equals(b), `${name} is identical`);
      }
      // The manifest differs only by the job's own ids and times: its variants come in the same order
      const variants = (entries: Map<string, Buffer>) =>
        (JSON.parse((entries.get('manifest.json') as Buffer).toString('utf8')).variants as { sourceId: string }[]).map(
          ({ sourceId: _, ...v }) => JSON.stringify(v),
        );
      assert.deepEqual(variants(many), variants(one));
    } finally {
      await single.close();
    }
  });

  for (const exported of ['yolo', 'coco'] as const) {
    it(`copyPaste pastes outlined objects of other train images (COCO in, ${exported} out), every box on its object`, async () => {
      // Prepare: the rectangles are also labelled by their outlines, so they can be pasted.
      const created = await post(await cocoZip(outlinedItems()), copyPasteFields(exported));
      assert.equal(created.statusCode, 202, created.body);
      // Act
      const archive = await finished(created.json().id as string);
      const { parsed, entries } = await readBack(archive, exported);
      // Assess: each train variant names another train source and the objects it pasted
      const manifest = JSON.parse((entries.get('manifest.json') as Buffer).toString('utf8'));
      const splitOf = new Map<string, string>(
        manifest.variants.map((v: { source: string; split: string }) => [v.source, v.split]),
      );
      const train = manifest.variants.filter((v: { split: string }) => v.split === 'train');
      assert.equal(train.length, 20);
      let pasted = 0;
      for (const v of train) {
        const params = v.operations[0]?.params as { image: string; pasted: { category: number }[] };
        assert.equal(v.operations[0]?.op, 'copyPaste');
        assert.notEqual(params.image, v.source, 'another image');
        assert.equal(splitOf.get(params.image), 'train', `${params.image} is from the same split`);
        pasted += params.pasted.length;
      }
      assert.ok(pasted >= 20, `${pasted} objects pasted`);
      let checked = 0;
      let touchingSkipped = 0;
      const trainItems = parsed.items.filter((i) => (i.split ?? 'train') === 'train');
      for (const item of trainItems) {
        for (const object of item.labels.objects) {
          // Objects of one colour that touch cannot be told apart by their pixels: those are left out.
          const touching = item.labels.objects.some(
            (other) =>
              other !== object && other.category === object.category && iou(grown(object.box, 2), other.box) > 0,
          );
          if (touching) {
            touchingSkipped++;
            continue;
          }
          await assertOnItsColour(parsed, entries, item.image, object, 2);
          checked++;
        }
      }
      const objects = trainItems.reduce((n, i) => n + i.labels.objects.length, 0);
      assert.ok(
        objects > 2 * trainItems.length,
        `pasted objects are labelled (${objects} in ${trainItems.length} images)`,
      );
      assert.ok(checked >= 50, `checked ${checked} boxes (${touchingSkipped} touching one of their colour left out)`);
    });
  }

  for (const input of ['coco', 'yolo', 'voc'] as const) {
    for (const exported of ['coco', 'yolo', 'voc'] as const) {
      it(`${input} in, ${exported} out: split 80/10/10, train augmented, every box on its object`, async () => {
        // Act
        const archive = await run(input, exported);
        const { parsed, entries } = await readBack(archive, exported);
        // Assess: splits (12 sources: 10 train × 2 variants, 1 valid and 1 test original)
        const bySplit = { train: 0, valid: 0, test: 0 };
        for (const item of parsed.items) bySplit[item.split ?? 'train']++;
        assert.deepEqual(bySplit, { train: 20, valid: 1, test: 1 });
        // VOC has no class order (classes come back sorted by name): match by name.
        assert.deepEqual(parsed.categories.map((c) => c.name).sort(), CATEGORIES.map((c) => c.name).sort());
        const colourOf = (category: number) =>
          OBJECT_COLOURS[
            CATEGORIES.findIndex((c) => c.name === parsed.categories[category]?.name)
          ] as readonly number[];
        const manifest = JSON.parse((entries.get('manifest.json') as Buffer).toString('utf8'));
        const trainOps = manifest.variants.filter((v: { split: string }) => v.split === 'train');
        assert.ok(
          trainOps.some((v: { operations: unknown[] }) => v.operations.length > 0),
          'train is augmented',
        );
        const originals = manifest.variants.filter((v: { split: string }) => v.split !== 'train');
        assert.equal(originals.length, bySplit.valid + bySplit.test, 'the valid and test images are in the manifest');
        for (const v of originals) assert.deepEqual(v.operations, [], 'valid and test are originals');
        // Every label on its object: the object's pixels near the label make the same box.
        let checked = 0;
        for (const item of parsed.items) {
          const image = entries.get(item.image) as Buffer;
          for (const object of item.labels.objects) {
            const margin = 12;
            const region = {
              x: object.box.x - margin,
              y: object.box.y - margin,
              width: object.box.width + 2 * margin,
              height: object.box.height + 2 * margin,
            };
            const pixels = await colourBox(image, colourOf(object.category), region);
            assert.ok(pixels, `${item.image}: object ${object.category} has pixels`);
            const overlap = iou(object.box, pixels);
            assert.ok(
              overlap >= 0.85,
              `${item.image}: label ${JSON.stringify(object.box)} vs pixels ${JSON.stringify(pixels)} (IoU ${overlap.toFixed(3)})`,
            );
            checked++;
          }
        }
        assert.ok(checked >= 40, `checked ${checked} boxes`);
      });
    }
  }
});
