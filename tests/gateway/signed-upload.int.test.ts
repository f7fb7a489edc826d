import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '@delta-augment/core';
import { type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';
import { errorOf } from './fixtures.js';

interface Upload {
  sourceId: string;
  name: string;
  method: string;
  url: string;
  expiresInSeconds: number;
}

/** The path and query of a signed URL (testApp's signed URL base is a placeholder host). */
const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

describe('POST /api/jobs with JSON, then PUT to the signed URLs over real HTTP', () => {
  let t: TestApp;
  let base: string;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp({ workers: true, env: { MAX_FILE_BYTES: '60000' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    jpeg = await gradientJpeg(80, 60);
  });
  after(() => t.close());

  const createJob = async (files: unknown, extra: Record<string, unknown> = {}) =>
    fetch(`${base}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ files, ...extra }),
    });

  it('creates the job with one signed PUT URL per file, then processes what was uploaded', async () => {
    // Prepare
    const created = await createJob([{ name: 'big photo.jpg', bytes: jpeg.length, label: 'cats' }], {
      variants: 2,
      tags: ['direct'],
    });
    assert.equal(created.status, 201);
    const job = (await created.json()) as { id: string; status: string; uploads: Upload[] };
    assert.equal(job.status, 'created');
    assert.equal(job.uploads.length, 1);
    const upload = job.uploads[0] as Upload;
    assert.equal(upload.method, 'PUT');
    // Act
    const put = await fetch(`${base}${pathOf(upload.url)}`, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(jpeg),
    });
    // Assess
    assert.equal(put.status, 200, await put.clone().text());
    assert.equal(((await put.json()) as { bytes: number }).bytes, jpeg.length);
    const done = await waitFor(
      async () => {
        const state = (await (await fetch(`${base}/api/jobs/${job.id}`)).json()) as {
          status: string;
          progress: { done: number };
          sources: { label: string; width: number }[];
        };
        return state.status === 'completed' ? state : undefined;
      },
      30_000,
      'the uploaded job to complete',
    );
    assert.equal(done.progress.done, 2);
    assert.equal(done.sources[0]?.label, 'cats');
    assert.equal(done.sources[0]?.width, 80);

    const replay = await fetch(`${base}${pathOf(upload.url)}`, { method: 'PUT', body: new Uint8Array(jpeg) });
    assert.equal(replay.status, 409);
    assert.equal(((await replay.json()) as { error: { code: string } }).error.code, 'ALREADY_UPLOADED');
  });

  it('refuses a PUT whose signature was tampered with (403)', async () => {
    const job = (await (await createJob([{ name: 'a.jpg', bytes: jpeg.length }])).json()) as { uploads: Upload[] };
    const url = new URL((job.uploads[0] as Upload).url);
    const signature = url.searchParams.get('signature') ?? '';
    url.searchParams.set('signature', `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`);
    const put = await fetch(`${base}${url.pathname}${url.search}`, { method: 'PUT', body: new Uint8Array(jpeg) });
    assert.equal(put.status, 403);
    assert.match(((await put.json()) as { error: { message: string } }).error.message, /not valid/);
  });

  it('refuses a PUT to another key with a valid signature for the first (403)', async () => {
    const job = (await (await createJob([{ name: 'a.jpg', bytes: jpeg.length }])).json()) as { uploads: Upload[] };
    const path = pathOf((job.uploads[0] as Upload).url).replace('/a.jpg?', '/b.jpg?');
    const put = await fetch(`${base}${path}`, { method: 'PUT', body: new Uint8Array(jpeg) });
    assert.equal(put.status, 403);
  });

  it('refuses a PUT over MAX_FILE_BYTES with a 413 and stores nothing', async () => {
    const job = (await (await createJob([{ name: 'a.jpg', bytes: jpeg.length }])).json()) as {
      id: string;
      uploads: Upload[];
    };
    const big = Buffer.concat([jpeg, Buffer.alloc(70_000)]);
    const put = await fetch(`${base}${pathOf((job.uploads[0] as Upload).url)}`, {
      method: 'PUT',
      body: new Uint8Array(big),
    });
    assert.equal(put.status, 413);
    assert.match(((await put.json()) as { error: { message: string } }).error.message, /MAX_FILE_BYTES/);
    assert.deepEqual(await t.ports.blobs.list(`sources/${job.id}/`), []);
  });

  it('refuses a PUT of bytes that are not an image with a 415, whatever its content type', async () => {
    const html = '<html><script>alert(1)</script></html>';
    const job = (await (await createJob([{ name: 'a.jpg', bytes: html.length }])).json()) as {
      id: string;
      uploads: Upload[];
    };
    const put = await fetch(`${base}${pathOf((job.uploads[0] as Upload).url)}`, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg' },
      body: html,
    });
    assert.equal(put.status, 415);
    assert.deepEqual(await t.ports.blobs.list(`sources/${job.id}/`), []);
  });

  it('refuses a PUT for a job that was deleted (404)', async () => {
    const job = (await (await createJob([{ name: 'a.jpg', bytes: jpeg.length }])).json()) as {
      id: string;
      uploads: Upload[];
    };
    assert.equal((await fetch(`${base}/api/jobs/${job.id}`, { method: 'DELETE' })).status, 204);
    const put = await fetch(`${base}${pathOf((job.uploads[0] as Upload).url)}`, {
      method: 'PUT',
      body: new Uint8Array(jpeg),
    });
    assert.equal(put.status, 404);
  });
});

describe('POST /api/jobs with JSON that breaks a rule', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { MAX_FILE_BYTES: '60000', MAX_FILES_PER_JOB: '2' } });
  });
  after(() => t.close());

  const post = (body: unknown) => t.app.inject({ method: 'POST', url: '/api/jobs', payload: body as object });

  for (const [what, body, status, field] of [
    ['no files', { variants: 2 }, 400, 'files'],
    ['an empty file list', { files: [] }, 400, 'files'],
    ['a file without a name', { files: [{ bytes: 10 }] }, 400, 'files[0].name'],
    ['a file over MAX_FILE_BYTES', { files: [{ name: 'a.jpg', bytes: 60_001 }] }, 413, 'files[0].bytes'],
    ['a file of zero bytes', { files: [{ name: 'a.jpg', bytes: 0 }] }, 400, 'files[0].bytes'],
    ['more files than MAX_FILES_PER_JOB', { files: Array(3).fill({ name: 'a.jpg', bytes: 9 }) }, 413, 'files'],
    ['too many variants', { files: [{ name: 'a.jpg', bytes: 9 }], variants: 101 }, 400, 'variants'],
    ['a bad tag', { files: [{ name: 'a.jpg', bytes: 9 }], tags: ['<b>'] }, 400, 'tags'],
    ['an unknown field', { files: [{ name: 'a.jpg', bytes: 9 }], colour: 'red' }, 400, 'colour'],
    [
      'an invalid pipeline',
      { files: [{ name: 'a.jpg', bytes: 9 }], pipeline: { steps: [{ op: 'explode' }] } },
      400,
      'pipeline',
    ],
  ] as const) {
    it(`refuses ${what} with a ${status} naming ${field}`, async () => {
      const response = await post(body);
      assert.equal(response.statusCode, status, response.body);
      const error = errorOf(response);
      assert.equal(error.field?.startsWith(field), true, `field ${error.field}`);
      assert.ok(error.message.length > 0);
    });
  }

  it('refuses a body that is not JSON with a 400', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { 'content-type': 'application/json' },
      payload: '{"files": [',
    });
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response).field, 'body');
  });

  it('refuses a content type it does not read with a 415', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    assert.equal(response.statusCode, 415);
  });
});

describe('a signed URL used after it expired', () => {
  let t: TestApp;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock: Clock = { now: () => now };
  before(async () => {
    t = await testApp({ clock });
  });
  after(() => t.close());

  it('is refused with a 403 saying so', async () => {
    // Prepare
    const jpeg = await gradientJpeg();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { files: [{ name: 'a.jpg', bytes: jpeg.length }] },
    });
    const upload = created.json().uploads[0] as Upload;
    // Act
    now += (upload.expiresInSeconds + 1) * 1000;
    const put = await t.app.inject({
      method: 'PUT',
      url: pathOf(upload.url),
      headers: { 'content-type': 'image/jpeg' },
      payload: jpeg,
    });
    // Assess
    assert.equal(put.statusCode, 403);
    assert.match(errorOf(put).message, /expired/);
  });
});
