import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import { declareUncompressedSize, errorOf, makeZip, renameEntry } from './fixtures.js';

const LIMITS = { MAX_FILE_BYTES: '200000', MAX_FILES_PER_JOB: '4', MAX_PIXELS: '4000000' };

describe('POST /api/jobs with a dataset zip', () => {
  let t: TestApp;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp({ env: LIMITS });
    jpeg = await gradientJpeg(40, 30);
  });
  after(() => t.close());

  const postZip = (zip: Buffer, fields: Record<string, string> = { variants: '2' }) =>
    t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'dataset.zip', data: zip, type: 'application/zip' }], fields),
    });

  it('labels each image with its folder', async () => {
    // Prepare
    const zip = await makeZip([
      { name: 'cats/a.jpg', data: jpeg },
      { name: 'cats/b.jpg', data: jpeg },
      { name: 'dogs/c.jpg', data: jpeg },
      { name: 'd.jpg', data: jpeg },
    ]);
    // Act
    const response = await postZip(zip);
    // Assess
    assert.equal(response.statusCode, 202, response.body);
    const sources = (response.json().sources as { name: string; label: string }[]).map((s) => `${s.label}/${s.name}`);
    assert.deepEqual(sources.sort(), ['/d.jpg', 'cats/a.jpg', 'cats/b.jpg', 'dogs/c.jpg']);
  });

  it('takes the labels under a top folder that every image shares', async () => {
    const zip = await makeZip([
      { name: 'dataset/cats/a.jpg', data: jpeg },
      { name: 'dataset/dogs/b.jpg', data: jpeg },
    ]);
    const response = await postZip(zip);
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual((response.json().sources as { label: string }[]).map((s) => s.label).sort(), ['cats', 'dogs']);
  });

  it('skips entries that are not images, hidden files and __MACOSX', async () => {
    const zip = await makeZip([
      { name: 'cats/a.jpg', data: jpeg },
      { name: 'cats/readme.txt', data: Buffer.from('hello') },
      { name: 'cats/.DS_Store', data: Buffer.from('junk') },
      { name: '__MACOSX/cats/._a.jpg', data: Buffer.from('junk') },
      { name: 'labels.csv', data: Buffer.from('a,cats') },
    ]);
    const response = await postZip(zip);
    assert.equal(response.statusCode, 202, response.body);
    assert.deepEqual(
      (response.json().sources as { name: string }[]).map((s) => s.name),
      ['a.jpg'],
    );
  });

  it('refuses a dataset without images with a 400', async () => {
    const zip = await makeZip([{ name: 'notes/readme.txt', data: Buffer.from('no images here') }]);
    const response = await postZip(zip);
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response).code, 'EMPTY_DATASET');
    assert.equal(errorOf(response).field, 'file[0]');
  });

  for (const [what, from, to] of [
    ['a parent-relative entry (zip-slip)', 'aa/aa/x.jpg', '../../x.jpg'],
    ['an absolute entry', 'aetc/x.jpg', '/etc/x.jpg'],
  ] as const) {
    it(`refuses ${what} with a 400 and stores nothing`, async () => {
      // Prepare
      const zip = renameEntry(await makeZip([{ name: from, data: jpeg }]), from, to);
      const before = await t.ports.blobs.list('sources/');
      // Act
      const response = await postZip(zip);
      // Assess
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(errorOf(response).code, 'UNSAFE_PATH');
      assert.match(errorOf(response).message, new RegExp(to.replace(/[./]/g, '\\$&')));
      assert.deepEqual(await t.ports.blobs.list('sources/'), before);
    });
  }

  it('refuses an entry that inflates past MAX_FILE_BYTES (a zip bomb) with a 413', async () => {
    const zip = await makeZip([{ name: 'bomb.jpg', data: Buffer.alloc(2_000_000) }]);
    assert.ok(zip.length < 20_000, 'the bomb is small on the wire');
    const response = await postZip(zip);
    assert.equal(response.statusCode, 413);
    assert.equal(errorOf(response).code, 'TOO_LARGE');
    assert.match(errorOf(response).message, /MAX_FILE_BYTES/);
  });

  it('stops an entry whose header understates its size once it inflates past it', async () => {
    const zip = declareUncompressedSize(await makeZip([{ name: 'bomb.jpg', data: Buffer.alloc(2_000_000) }]), 1000);
    const response = await postZip(zip);
    assert.equal(response.statusCode, 413);
    assert.match(errorOf(response).message, /header declares/);
  });

  it('refuses more images than MAX_FILES_PER_JOB with a 413', async () => {
    const zip = await makeZip(Array.from({ length: 5 }, (_, i) => ({ name: `cats/${i}.jpg`, data: jpeg })));
    const response = await postZip(zip);
    assert.equal(response.statusCode, 413);
    assert.match(errorOf(response).message, /MAX_FILES_PER_JOB/);
  });

  it('refuses an entry named .jpg that is not an image, naming the entry', async () => {
    const zip = await makeZip([
      { name: 'cats/a.jpg', data: jpeg },
      { name: 'cats/evil.jpg', data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') },
    ]);
    const response = await postZip(zip);
    assert.equal(response.statusCode, 415);
    assert.equal(errorOf(response).field, 'file[0]:cats/evil.jpg');
  });

  it('refuses a decompression bomb inside a dataset from its header', async () => {
    const bomb = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#000' } })
      .toColourspace('b-w')
      .png({ compressionLevel: 9 })
      .toBuffer();
    const response = await postZip(await makeZip([{ name: 'cats/bomb.png', data: bomb }]));
    assert.equal(response.statusCode, 422);
    assert.equal(errorOf(response).code, 'TOO_MANY_PIXELS');
  });

  it('refuses a corrupt zip with a 422', async () => {
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 7)]);
    const response = await postZip(zip);
    assert.equal(response.statusCode, 422);
    assert.equal(errorOf(response).code, 'CORRUPT_ZIP');
  });

  it('refuses a dataset zip sent with other files', async () => {
    const zip = await makeZip([{ name: 'cats/a.jpg', data: jpeg }]);
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([
        { name: 'a.jpg', data: jpeg },
        { name: 'dataset.zip', data: zip, type: 'application/zip' },
      ]),
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response).field, 'file[1]');
  });
});

describe('a dataset job, processed by the worker pool', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ workers: true });
  });
  after(() => t.close());

  it('keeps the label folders in its zip and manifest', async () => {
    // Prepare
    const jpeg = await gradientJpeg(48, 32);
    const zip = await makeZip([
      { name: 'cats/a.jpg', data: jpeg },
      { name: 'dogs/b.jpg', data: jpeg },
    ]);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'd.zip', data: zip, type: 'application/zip' }], { variants: '2', seed: '3' }),
    });
    const id = created.json().id as string;
    // Act
    await waitFor(
      async () => ((await t.app.inject(`/api/jobs/${id}`)).json().status === 'completed' ? true : undefined),
      30_000,
      'the dataset job to complete',
    );
    const archive = await t.app.inject(`/api/jobs/${id}/archive`);
    // Assess
    assert.equal(archive.statusCode, 200);
    assert.equal(archive.headers['content-type'], 'application/zip');
    const entries = await readZip(archive.rawPayload);
    const images = [...entries.keys()].filter((name) => name.endsWith('.jpg')).sort();
    assert.deepEqual(images, ['cats/a_000.jpg', 'cats/a_001.jpg', 'dogs/b_000.jpg', 'dogs/b_001.jpg']);
    const manifest = JSON.parse(entries.get('manifest.json')?.toString() ?? '{}');
    assert.ok(JSON.stringify(manifest).includes('"label":"cats"'));
  });
});
