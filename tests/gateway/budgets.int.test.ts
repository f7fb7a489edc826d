import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { errorOf } from './fixtures.js';

const BOUNDARY = 'budgetboundary';

/** Starts a multipart upload over real HTTP, sends `head` of the body and keeps the request open. */
const openUpload = (port: number, head: Buffer, contentLength: number) => {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/jobs',
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(contentLength) },
  });
  req.on('error', () => undefined);
  const answer = new Promise<{ status: number; body: string }>((resolve) => {
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      response.on('error', () => resolve({ status: response.statusCode ?? 0, body }));
    });
  });
  req.write(head);
  return { req, answer };
};

const filePartHead = (name: string) =>
  Buffer.from(
    `--${BOUNDARY}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\ncontent-type: image/png\r\n\r\n`,
  );

describe('output budgets at job creation', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { MAX_JOB_OUTPUT_PIXELS: '50000', MAX_OUTPUT_PIXELS: '40000' } });
  });
  after(() => t.close());

  it('refuses the output-bomb repro with a 422 naming MAX_OUTPUT_PIXELS, storing nothing', async () => {
    // Prepare
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const pipeline = JSON.stringify({
      format: 'png',
      steps: [
        { op: 'resize', width: 10000, height: 10000 },
        { op: 'noise', sigma: 100 },
      ],
    });
    // Act
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'tiny.png', data: tiny, type: 'image/png' }], { pipeline, variants: '2' }),
    });
    // Assess
    assert.equal(response.statusCode, 422);
    assert.equal(errorOf(response).code, 'OUTPUT_TOO_LARGE');
    assert.equal(errorOf(response).field, 'pipeline');
    assert.match(errorOf(response).message, /100000000 pixels.*MAX_OUTPUT_PIXELS\) is 40000/);
    assert.deepEqual(
      readdirSync(join(t.config.dataDir)).includes('results') ? readdirSync(join(t.config.dataDir, 'results')) : [],
      [],
    );
  });

  it('refuses a job whose variants together could pass MAX_JOB_OUTPUT_PIXELS, naming it', async () => {
    // Act: 64×48 = 3072 pixels a variant × 20 variants = 61440 > 50000
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '20', preset: 'delta-classic' }),
    });
    // Assess
    assert.equal(response.statusCode, 422);
    assert.equal(errorOf(response).field, 'variants');
    assert.match(errorOf(response).message, /MAX_JOB_OUTPUT_PIXELS/);
  });

  it('accepts a job within its budgets', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '2', preset: 'delta-classic' }),
    });
    assert.equal(response.statusCode, 202);
  });
});

describe('gateway memory under hostile uploads', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await testApp({
      env: {
        MAX_CONCURRENT_UPLOADS: '2',
        MAX_CONCURRENT_UPLOADS_PER_CALLER: '1',
        MAX_REQUEST_BYTES: String(4 * 1024 * 1024),
      },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('refuses a junk part from its first bytes, while the client is still sending it', async () => {
    // Act: 64 bytes of a part that promises 3 MB
    const upload = openUpload(port, Buffer.concat([filePartHead('junk.png'), Buffer.alloc(64, 0x41)]), 3_000_000);
    const answer = await upload.answer;
    upload.req.destroy();
    // Assess
    assert.equal(answer.status, 415);
    assert.match(answer.body, /its bytes say unknown/);
  });

  it('refuses a body whose declared length is over MAX_REQUEST_BYTES before reading it', async () => {
    const upload = openUpload(port, filePartHead('big.png'), 64 * 1024 * 1024);
    const answer = await upload.answer;
    upload.req.destroy();
    assert.equal(answer.status, 413);
    assert.match(answer.body, /MAX_REQUEST_BYTES/);
  });

  it('holds one upload per caller at a time: the next gets a 429 naming the cap, and the slot comes back', async () => {
    // Prepare: an upload that stalls after a real PNG signature
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .png()
      .toBuffer();
    const stalled = openUpload(port, Buffer.concat([filePartHead('slow.png'), png.subarray(0, 32)]), 1_000_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const form = multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '1' });
    // Act
    const refused = await t.app.inject({ method: 'POST', url: '/api/jobs', ...form });
    stalled.req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const accepted = await t.app.inject({ method: 'POST', url: '/api/jobs', ...form });
    // Assess
    assert.equal(refused.statusCode, 429);
    assert.equal(errorOf(refused).code, 'TOO_MANY_UPLOADS');
    assert.match(errorOf(refused).message, /MAX_CONCURRENT_UPLOADS_PER_CALLER/);
    assert.equal(accepted.statusCode, 202);
  });
});
