import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type DatasetFiles,
  iou,
  type LabelFormat,
  type ParsedDataset,
  parseLabelled,
} from '../../packages/shared/src/index.js';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import {
  CATEGORIES,
  cocoZip,
  colourBox,
  datasetFilesOf,
  OBJECT_COLOURS,
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

describe('a labelled dataset job', () => {
  let t: TestApp;
  let items: PhotoItem[];
  before(async () => {
    t = await testApp({ workers: true, env: { MAX_PIXELS: '4000000' } });
    items = await photoItems();
  });
  after(() => t.close());

  const run = async (input: Exclude<LabelFormat, 'folders'>, exported: Exclude<LabelFormat, 'folders'>) => {
    const zip = await ZIPS[input](items);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'dataset.zip', data: zip, type: 'application/zip' }], {
        variants: '2',
        seed: '5',
        split: '80,10,10',
        export: exported,
        pipeline: PIPELINE,
      }),
    });
    assert.equal(created.statusCode, 202, created.body);
    const id = created.json().id as string;
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
        for (const v of manifest.variants.filter((v: { split: string }) => v.split !== 'train')) {
          assert.deepEqual(v.operations, [], 'valid and test are originals');
        }
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
