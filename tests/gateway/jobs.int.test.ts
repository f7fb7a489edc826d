import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';

const errorOf = (body: string) =>
  (JSON.parse(body) as { error: { code: string; message: string; field?: string } }).error;

describe('POST /api/jobs with multipart uploads', () => {
  let t: TestApp;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp({ env: { MAX_FILE_BYTES: '200000', MAX_FILES_PER_JOB: '3', MAX_PIXELS: '4000000' } });
    jpeg = await gradientJpeg();
  });
  after(() => t.close());

  const post = (files: Parameters<typeof multipartBody>[0], fields: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/jobs', ...multipartBody(files, fields) });

  it('accepts an image and answers 202 with the queued job', async () => {
    const response = await post([{ name: 'cat.jpg', data: jpeg }], { variants: '3', tags: 'cats, Pets' });
    assert.equal(response.statusCode, 202, response.body);
    const job = response.json();
    assert.match(job.id, /^j_[A-Za-z0-9_-]{22}$/);
    assert.equal(job.status, 'queued');
    assert.deepEqual(job.progress, { done: 0, total: 3 });
    assert.deepEqual(job.tags, ['cats', 'pets']);
    assert.equal(job.sources[0].width, 64);
    const stats = await t.ports.queue.stats('uploads');
    assert.ok(stats.visible >= 1, 'an ObjectCreated message is queued');
  });

  for (const [variants, why] of [
    ['0', 'zero'],
    ['101', 'over the limit'],
    ['2.5', 'a fraction'],
    ['many', 'not a number'],
  ] as const) {
    it(`refuses variants ${why} with a 400 naming the field`, async () => {
      const response = await post([{ name: 'a.jpg', data: jpeg }], { variants });
      assert.equal(response.statusCode, 400);
      assert.equal(errorOf(response.body).field, 'variants');
      assert.match(errorOf(response.body).message, /1 to 100/);
    });
  }

  it('refuses a tag with forbidden characters', async () => {
    const response = await post([{ name: 'a.jpg', data: jpeg }], { tags: 'ok,<script>' });
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response.body).field, 'tags');
  });

  it('refuses more than 20 tags', async () => {
    const tags = Array.from({ length: 21 }, (_, i) => `t${i}`).join(',');
    const response = await post([{ name: 'a.jpg', data: jpeg }], { tags });
    assert.equal(errorOf(response.body).field, 'tags');
  });

  it('refuses an unknown preset and names the known ones', async () => {
    const response = await post([{ name: 'a.jpg', data: jpeg }], { preset: 'nope' });
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response.body).field, 'preset');
    assert.match(errorOf(response.body).message, /delta-classic/);
  });

  it('refuses a pipeline that is not JSON', async () => {
    const response = await post([{ name: 'a.jpg', data: jpeg }], { pipeline: '{steps:' });
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response.body).field, 'pipeline');
  });

  it('refuses a request without files', async () => {
    const response = await post([], { variants: '2' });
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response.body).field, 'file');
  });

  it('refuses an empty file', async () => {
    const response = await post([{ name: 'a.jpg', data: Buffer.alloc(0) }]);
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response.body).code, 'EMPTY_FILE');
  });

  for (const [kind, data] of [
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')],
    ['HTML', Buffer.from('<!doctype html><html><body>hi</body></html>')],
    ['PDF', Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\n')],
  ] as const) {
    it(`refuses ${kind} sent as image/jpeg with a 415, trusting the bytes, not the label`, async () => {
      const response = await post([{ name: 'photo.jpg', data, type: 'image/jpeg' }]);
      assert.equal(response.statusCode, 415);
      assert.equal(errorOf(response.body).field, 'file[0]');
    });
  }

  it('refuses a decompression bomb from its header, naming MAX_PIXELS', async () => {
    const bomb = await sharp({ create: { width: 8000, height: 8000, channels: 3, background: '#000' } })
      .toColourspace('b-w')
      .png({ compressionLevel: 9 })
      .toBuffer();
    assert.ok(bomb.length < 200_000, 'the bomb is small on the wire');
    const response = await post([{ name: 'bomb.png', data: bomb, type: 'image/png' }]);
    assert.equal(response.statusCode, 422);
    assert.equal(errorOf(response.body).code, 'TOO_MANY_PIXELS');
    assert.match(errorOf(response.body).message, /MAX_PIXELS/);
  });

  it('refuses a file over MAX_FILE_BYTES with a 413', async () => {
    const big = Buffer.concat([jpeg, Buffer.alloc(300_000)]);
    const response = await post([{ name: 'big.jpg', data: big }]);
    assert.equal(response.statusCode, 413);
    assert.match(errorOf(response.body).message, /MAX_FILE_BYTES/);
  });

  it('refuses more files than MAX_FILES_PER_JOB with a 413', async () => {
    const files = Array.from({ length: 4 }, (_, i) => ({ name: `${i}.jpg`, data: jpeg }));
    const response = await post(files);
    assert.equal(response.statusCode, 413);
    assert.match(errorOf(response.body).message, /MAX_FILES_PER_JOB/);
  });

  it('keeps path parts of file names out of storage keys', async () => {
    const response = await post([{ name: '../../etc/passwd.jpg', data: jpeg }]);
    assert.equal(response.statusCode, 202);
    const job = response.json();
    assert.equal(job.sources[0].name, 'passwd.jpg');
    const keys = await t.ports.blobs.list(`sources/${job.id}/`);
    assert.equal(keys.length, 1);
    assert.ok(keys[0]?.endsWith('/passwd.jpg'));
  });
});

describe('a job from upload to zip, with the worker pool running', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ workers: true });
  });
  after(() => t.close());

  it('completes, serves its variants, thumbnail and zip, and is deleted with all its data', async () => {
    // Prepare
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'g.jpg', data: await gradientJpeg(120, 80) }], { variants: '4', seed: '7' }),
    });
    const id = created.json().id as string;
    // Act
    const job = await waitFor(
      async () => {
        const r = (await t.app.inject(`/api/jobs/${id}`)).json();
        return r.status === 'completed' ? r : undefined;
      },
      30_000,
      'completion',
    );
    // Assess
    assert.deepEqual(job.progress, { done: 4, total: 4 });
    const sourceId = job.sources[0].sourceId as string;
    const variant = await t.app.inject(`/api/jobs/${id}/sources/${sourceId}/variants/3`);
    assert.equal(variant.statusCode, 200);
    assert.equal(variant.headers['content-type'], 'image/jpeg');
    assert.equal((await sharp(variant.rawPayload).metadata()).format, 'jpeg');
    const thumb = await t.app.inject(`/api/jobs/${id}/sources/${sourceId}/thumbnail`);
    assert.equal(thumb.headers['content-type'], 'image/webp');
    const zip = await t.app.inject(`/api/jobs/${id}/archive`);
    assert.equal(zip.statusCode, 200);
    assert.equal(zip.rawPayload.subarray(0, 2).toString(), 'PK');
    const missing = await t.app.inject(`/api/jobs/${id}/sources/${sourceId}/variants/4`);
    assert.equal(missing.statusCode, 404);

    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/jobs/${id}` });
    assert.equal(deleted.statusCode, 204);
    assert.equal((await t.app.inject(`/api/jobs/${id}`)).statusCode, 404);
    assert.deepEqual(await t.ports.blobs.list(`results/${id}/`), []);
    assert.deepEqual(await t.ports.blobs.list(`sources/${id}/`), []);
  });
});

describe('POST /api/jobs: more rules, each answered with a 4xx naming its field', () => {
  let t: TestApp;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp({ env: { MAX_FILE_BYTES: '200000', MAX_REQUEST_BYTES: '300000', MAX_VARIANTS: '50' } });
    jpeg = await gradientJpeg();
  });
  after(() => t.close());

  const post = (files: Parameters<typeof multipartBody>[0], fields: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/jobs', ...multipartBody(files, fields) });

  it('takes the variants limit from MAX_VARIANTS', async () => {
    const response = await post([{ name: 'a.jpg', data: jpeg }], { variants: '51' });
    assert.equal(response.statusCode, 400);
    assert.match(errorOf(response.body).message, /1 to 50 \(MAX_VARIANTS\)/);
    assert.equal((await post([{ name: 'a.jpg', data: jpeg }], { variants: '50' })).statusCode, 202);
  });

  for (const [what, fields, field] of [
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['both a preset and a pipeline', { preset: 'delta-classic', pipeline: '{"steps":[]}' }, 'pipeline'],
    ['a seed that is not an integer', { seed: '-1' }, 'seed'],
    ['a tag over 40 characters', { tags: 'x'.repeat(41) }, 'tags'],
    ['a pipeline with an unknown operation', { pipeline: '{"steps":[{"op":"explode","probability":1}]}' }, 'pipeline'],
  ] as const) {
    it(`refuses ${what}`, async () => {
      const response = await post([{ name: 'a.jpg', data: jpeg }], fields);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(errorOf(response.body).field?.split('.')[0], field);
    });
  }

  it('refuses a file part with another name', async () => {
    const response = await post([{ name: 'a.jpg', data: jpeg, field: 'image' }]);
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response.body).field, 'image');
  });

  it('refuses a request over MAX_REQUEST_BYTES with a 413', async () => {
    const padded = Buffer.concat([jpeg, Buffer.alloc(150_000)]);
    const response = await post([
      { name: 'a.jpg', data: padded },
      { name: 'b.jpg', data: padded },
    ]);
    assert.equal(response.statusCode, 413);
    assert.match(errorOf(response.body).message, /MAX_REQUEST_BYTES/);
  });

  it('refuses an image whose header cannot be read with a 422', async () => {
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(100, 0x42)]);
    const response = await post([{ name: 'broken.jpg', data: corrupt }]);
    assert.equal(response.statusCode, 422);
    assert.equal(errorOf(response.body).code, 'CORRUPT_IMAGE');
    assert.equal(errorOf(response.body).field, 'file[0]');
  });

  it('refuses HEIC, which it cannot augment, with a 415', async () => {
    const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic'), Buffer.alloc(64)]);
    const response = await post([{ name: 'a.heic', data: heic, type: 'image/heic' }]);
    assert.equal(response.statusCode, 415);
    assert.match(errorOf(response.body).message, /heif/);
  });

  it('refuses a JPEG header that claims 65535x65535 pixels (a crafted bomb) with a 422', async () => {
    const bomb = Buffer.from(jpeg);
    const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
    bomb.writeUInt16BE(65_535, sof + 5);
    bomb.writeUInt16BE(65_535, sof + 7);
    const response = await post([{ name: 'bomb.jpg', data: bomb }]);
    assert.equal(response.statusCode, 422);
    assert.equal(errorOf(response.body).code, 'TOO_MANY_PIXELS');
    assert.match(errorOf(response.body).message, /65535x65535 = 4294836225 pixels/);
  });
});

describe('reading a job that is not there yet or at all', () => {
  let t: TestApp;
  let id: string;
  before(async () => {
    t = await testApp();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '2' }),
    });
    id = created.json().id;
  });
  after(() => t.close());

  it('answers 409 for the zip of a job still queued', async () => {
    const response = await t.app.inject(`/api/jobs/${id}/archive`);
    assert.equal(response.statusCode, 409);
    assert.equal(errorOf(response.body).code, 'NOT_READY');
  });

  it('answers 400 naming the id for a malformed id, and 404 for an unknown one', async () => {
    const malformed = await t.app.inject('/api/jobs/..%2F..%2Fetc');
    assert.equal(malformed.statusCode, 400);
    assert.equal(errorOf(malformed.body).field, 'id');
    const unknown = await t.app.inject(`/api/jobs/j_${'A'.repeat(22)}`);
    assert.equal(unknown.statusCode, 404);
    const deleteUnknown = await t.app.inject({ method: 'DELETE', url: `/api/jobs/j_${'A'.repeat(22)}` });
    assert.equal(deleteUnknown.statusCode, 404);
  });

  it('answers 404 for a variant or thumbnail not written yet', async () => {
    const job = (await t.app.inject(`/api/jobs/${id}`)).json();
    const sourceId = job.sources[0].sourceId;
    assert.equal((await t.app.inject(`/api/jobs/${id}/sources/${sourceId}/variants/0`)).statusCode, 404);
    assert.equal((await t.app.inject(`/api/jobs/${id}/sources/${sourceId}/thumbnail`)).statusCode, 404);
    assert.equal((await t.app.inject(`/api/jobs/${id}/sources/s_${'B'.repeat(22)}/thumbnail`)).statusCode, 404);
  });

  it('returns only the events after ?after=', async () => {
    const all = (await t.app.inject(`/api/jobs/${id}/events`)).json() as { seq: number }[];
    const later = (await t.app.inject(`/api/jobs/${id}/events?after=1`)).json() as { seq: number }[];
    assert.deepEqual(
      later.map((e) => e.seq),
      all.slice(1).map((e) => e.seq),
    );
  });
});

describe('POST /api/jobs with a pipeline field over the form-field limit', () => {
  it('answers 413 naming the field and its limit, not a JSON parse error', async () => {
    const t = await testApp();
    try {
      const huge = JSON.stringify({ steps: [{ op: 'rotate', note: 'x'.repeat(70_000) }] });
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        ...multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { pipeline: huge }),
      });
      assert.equal(response.statusCode, 413);
      assert.equal(errorOf(response.body).field, 'pipeline');
      assert.match(errorOf(response.body).message, /65536 bytes/);
    } finally {
      await t.close();
    }
  });
});
