import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  type DatasetFiles,
  decodeRle,
  detectFormat,
  encodeRle,
  type ImageLabels,
  LabelError,
  parseCoco,
  parseVoc,
  parseYolo,
  rleFromString,
  rleToString,
  writeCoco,
  writeDataYaml,
  writeVoc,
  writeYoloLabels,
} from '@delta-augment/core';

const golden = (name: string): string => readFileSync(join(import.meta.dirname, 'golden', name), 'utf8');

const files = (texts: Record<string, string>, images: Record<string, [number, number]>): DatasetFiles => ({
  texts: new Map(Object.entries(texts)),
  images: new Map(Object.entries(images).map(([p, [width, height]]) => [p, { width, height }])),
});

const thrown = (run: () => unknown): LabelError => {
  try {
    run();
  } catch (error) {
    if (error instanceof LabelError) return error;
    throw error;
  }
  assert.fail('expected a LabelError');
};

describe('COCO', () => {
  const dataset = files(
    { 'annotations/instances.json': golden('coco-instances.json') },
    { 'images/000000397133.jpg': [60, 40], 'images/000000037777.jpg': [40, 30] },
  );

  it('reads boxes, polygons, crowd RLE and keypoints from a file in the documented layout', () => {
    // Act
    const parsed = parseCoco(dataset, 'fail');
    // Assess
    assert.equal(detectFormat(dataset), 'coco');
    assert.deepEqual(
      parsed.categories.map((c) => c.name),
      ['person', 'dog'],
    );
    assert.deepEqual(parsed.categories[0]?.keypoints, ['nose', 'left_eye', 'right_eye']);
    const first = parsed.items.find((i) => i.image === 'images/000000397133.jpg');
    assert.ok(first);
    const [dog, crowd] = first.labels.objects;
    assert.equal(dog?.category, 1);
    assert.deepEqual(dog?.box, { x: 10.5, y: 5, width: 19.5, height: 20.25 });
    assert.equal(dog?.polygons?.[0]?.length, 4);
    assert.equal(crowd?.crowd, true);
    const mask = decodeRle(crowd?.mask as NonNullable<typeof crowd>['mask'] & object);
    assert.equal(
      mask.data.reduce((s, b) => s + b, 0),
      9,
    );
    assert.equal(mask.data[4 * 60 + 3], 1, 'column-major runs: the first set pixel is (3, 4)');
    const person = parsed.items.find((i) => i.image === 'images/000000037777.jpg')?.labels.objects[0];
    assert.deepEqual(person?.keypoints, [
      { x: 12, y: 8, v: 2 },
      { x: 0, y: 0, v: 0 },
      { x: 14, y: 20, v: 1 },
    ]);
  });

  it('refuses an annotation whose category is not declared, naming the file and line', () => {
    const text = golden('coco-instances.json').replace('"category_id": 18', '"category_id": 99');
    const error = thrown(() =>
      parseCoco(files({ 'a.json': text }, { '000000397133.jpg': [60, 40], '000000037777.jpg': [40, 30] }), 'fail'),
    );
    assert.equal(error.file, 'a.json');
    assert.equal(error.line, text.split('\n').findIndex((l) => l.includes('"id": 1768')) + 1);
    assert.match(error.message, /a\.json line \d+: category_id 99 is not in categories/);
  });

  it('refuses a box outside the image, and skips its image when asked to', () => {
    const text = golden('coco-instances.json').replace('"bbox": [10.5, 5.0, 19.5, 20.25]', '"bbox": [50, 5, 19.5, 20]');
    const input = files({ 'a.json': text }, { '000000397133.jpg': [60, 40], '000000037777.jpg': [40, 30] });
    assert.match(thrown(() => parseCoco(input, 'fail')).message, /lies outside the 60×40 image/);
    const skipped = parseCoco(input, 'skip');
    assert.deepEqual(
      skipped.items.map((i) => i.image),
      ['000000037777.jpg'],
    );
    assert.equal(skipped.skipped.length, 1);
    assert.match(skipped.skipped[0]?.reason ?? '', /outside/);
  });

  it('refuses an image the zip does not hold', () => {
    const error = thrown(() =>
      parseCoco(files({ 'a.json': golden('coco-instances.json') }, { '000000397133.jpg': [60, 40] }), 'fail'),
    );
    assert.match(error.message, /image "000000037777.jpg" is not in the zip/);
  });

  it('writes category ids from 1, boxes as [x, y, w, h] and polygons flat', () => {
    const labels: ImageLabels = {
      width: 10,
      height: 8,
      objects: [
        {
          category: 0,
          box: { x: 1, y: 2, width: 3, height: 4 },
          polygons: [
            [
              [1, 2],
              [4, 2],
              [4, 6],
            ],
          ],
        },
      ],
    };
    const doc = JSON.parse(writeCoco([{ name: 'cat' }], [{ fileName: 'a.jpg', labels }]));
    assert.deepEqual(doc.categories, [{ id: 1, name: 'cat', supercategory: 'none' }]);
    assert.deepEqual(doc.images, [{ id: 1, file_name: 'a.jpg', width: 10, height: 8 }]);
    assert.deepEqual(doc.annotations[0].bbox, [1, 2, 3, 4]);
    assert.deepEqual(doc.annotations[0].segmentation, [[1, 2, 4, 2, 4, 6]]);
  });

  it('reads and writes pycocotools compressed RLE strings', () => {
    const data = new Uint8Array(7 * 5);
    for (const i of [0, 1, 8, 9, 20, 33, 34]) data[i] = 1;
    const rle = encodeRle({ width: 7, height: 5, data });
    const text = rleToString(rle);
    assert.deepEqual(rleFromString(text, 5, 7), rle);
    assert.deepEqual(decodeRle(rle).data, data);
  });
});

describe('YOLO', () => {
  it('reads data.yaml with names as a map, and detection and segmentation lines', () => {
    // Prepare
    const input = files(
      { 'data.yaml': golden('yolo-data.yaml'), 'labels/train/a.txt': golden('yolo-label.txt') },
      { 'images/train/a.jpg': [640, 480] },
    );
    // Act
    const parsed = parseYolo(input, 'fail');
    // Assess
    assert.equal(detectFormat(input), 'yolo');
    assert.deepEqual(
      parsed.categories.map((c) => c.name),
      ['person', 'bicycle', 'car'],
    );
    const item = parsed.items[0];
    assert.equal(item?.split, 'train');
    const [box, polygon, bicycle] = item?.labels.objects ?? [];
    assert.ok(Math.abs((box?.box.x ?? 0) - (0.481719 - 0.690625 / 2) * 640) < 1e-6);
    assert.ok(Math.abs((box?.box.height ?? 0) - 0.713278 * 480) < 1e-6);
    assert.equal(polygon?.category, 2);
    assert.deepEqual(polygon?.polygons?.[0], [
      [64, 48],
      [128, 96],
      [128, 192],
      [32, 144],
    ]);
    assert.deepEqual(bicycle?.box, { x: 240, y: 120, width: 160, height: 240 });
  });

  it('reads names as a list and pose lines with kpt_shape', () => {
    const parsed = parseYolo(
      files(
        { 'data.yaml': golden('yolo-pose.yaml'), 'train/labels/p.txt': golden('yolo-pose.txt') },
        { 'train/images/p.jpg': [200, 100] },
      ),
      'fail',
    );
    const person = parsed.items[0]?.labels.objects[0];
    assert.deepEqual(person?.keypoints, [
      { x: 100, y: 30, v: 2 },
      { x: 90, y: 35, v: 1 },
      { x: 0, y: 0, v: 0 },
    ]);
  });

  it('refuses an undeclared class and a malformed line, naming the file and line', () => {
    const yaml = golden('yolo-data.yaml');
    const undeclared = thrown(() =>
      parseYolo(
        files(
          { 'data.yaml': yaml, 'labels/a.txt': '0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1\n' },
          { 'images/a.jpg': [10, 10] },
        ),
        'fail',
      ),
    );
    assert.equal(undeclared.message, 'labels/a.txt line 2: class 7 is not declared in data.yaml (it names 3)');
    const malformed = thrown(() =>
      parseYolo(
        files({ 'data.yaml': yaml, 'labels/a.txt': '\n\n1 0.5 0.5 0.1\n' }, { 'images/a.jpg': [10, 10] }),
        'fail',
      ),
    );
    assert.match(malformed.message, /^labels\/a\.txt line 3: a line has 4 values/);
  });

  it('clamps rounding past the edge (1.003) but refuses a box well outside', () => {
    const yaml = golden('yolo-data.yaml');
    const ok = parseYolo(
      files({ 'data.yaml': yaml, 'labels/a.txt': '0 0.9 0.5 0.206 0.2\n' }, { 'images/a.jpg': [100, 100] }),
      'fail',
    );
    const box = ok.items[0]?.labels.objects[0]?.box;
    assert.ok(box && Math.abs(box.x + box.width - 100) < 1e-9, 'clamped to the right edge');
    const error = thrown(() =>
      parseYolo(
        files({ 'data.yaml': yaml, 'labels/a.txt': '0 1.2 0.5 0.2 0.2\n' }, { 'images/a.jpg': [100, 100] }),
        'fail',
      ),
    );
    assert.match(error.message, /labels\/a\.txt line 1: box left 1\.1 is outside \[0, 1\]/);
  });

  it('writes values within [0, 1] and data.yaml that Ultralytics reads', () => {
    const labels: ImageLabels = {
      width: 100,
      height: 50,
      objects: [{ category: 1, box: { x: 90, y: 0, width: 10.0000001, height: 50 } }],
    };
    assert.equal(writeYoloLabels(labels, 'detect', 0), '1 0.950000 0.500000 0.100000 1.000000\n');
    assert.equal(
      writeDataYaml([{ name: 'a' }, { name: 'b' }], ['train', 'valid'], 0),
      'train: train/images\nval: valid/images\nnc: 2\nnames:\n  "0": a\n  "1": b\n',
    );
  });
});

describe('Pascal VOC', () => {
  it('reads a VOC2007 annotation beside JPEGImages (1-based inclusive boxes)', () => {
    const input = files(
      { 'VOC2007/Annotations/000005.xml': golden('voc-000005.xml') },
      { 'VOC2007/JPEGImages/000005.jpg': [500, 375] },
    );
    const parsed = parseVoc(input, 'fail');
    assert.equal(detectFormat(input), 'voc');
    assert.deepEqual(
      parsed.categories.map((c) => c.name),
      ['chair', 'diningtable'],
    );
    assert.deepEqual(parsed.items[0]?.labels.objects[0]?.box, { x: 262, y: 210, width: 62, height: 129 });
    assert.equal(parsed.items[0]?.labels.objects.length, 3);
  });

  it('refuses a box outside the image, naming the line of its object', () => {
    const text = golden('voc-000005.xml').replace('<xmax>67</xmax>', '<xmax>567</xmax>');
    const error = thrown(() => parseVoc(files({ 'a/000005.xml': text }, { 'a/000005.jpg': [500, 375] }), 'fail'));
    assert.equal(
      error.line,
      text.split('\n').findIndex((l) => l.includes('<name>diningtable')),
    );
    assert.match(error.message, /lies outside the 500×375 image/);
  });

  it('refuses XML that does not parse, with the line', () => {
    const error = thrown(() =>
      parseVoc(
        files({ 'a.xml': '<annotation>\n<filename>a.jpg</filename>\n<object>\n</annotation>' }, { 'a.jpg': [5, 5] }),
        'fail',
      ),
    );
    assert.equal(error.file, 'a.xml');
    assert.equal(typeof error.line, 'number');
  });

  it('writes 1-based boxes clipped to the image, never empty', () => {
    const xml = writeVoc([{ name: 'cat' }], 'a.jpg', 'train', {
      width: 20,
      height: 10,
      objects: [
        { category: 0, box: { x: 2.4, y: 0, width: 0, height: 9.7 } },
        { category: 0, box: { x: 3, y: -0.2, width: 17.5, height: 10.5 } },
      ],
    });
    assert.match(xml, /<xmin>3.4<\/xmin>\s*<ymin>1<\/ymin>\s*<xmax>2.41<\/xmax>\s*<ymax>9.7<\/ymax>/);
    assert.match(xml, /<xmin>4<\/xmin>\s*<ymin>1<\/ymin>\s*<xmax>20<\/xmax>\s*<ymax>10<\/ymax>/);
  });
});
