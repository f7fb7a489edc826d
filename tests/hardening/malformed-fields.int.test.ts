import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { type Framing, framing, type HostilePart, hostilePart, multipartOf } from './generators.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

describe('job fields with malformed values (issue 17, repro 16)', () => {
  let t: TestApp;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp();
    jpeg = await gradientJpeg(20, 20);
  });
  after(() => t.close());

  it('refuses pipeline=null in a form with a 400 naming pipeline, instead of running the default as custom', async () => {
    // Act
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.jpg', data: jpeg }], { pipeline: 'null' }),
    });
    // Assess
    assert.equal(response.statusCode, 400, response.body);
    const { error } = response.json() as ErrorBody;
    assert.equal(error.field, 'pipeline');
    assert.match(error.message, /null/);
  });

  for (const value of ['1', '"text"', 'true', '[]']) {
    it(`refuses pipeline=${value} with a 400 naming the pipeline`, async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        ...multipartBody([{ name: 'a.jpg', data: jpeg }], { pipeline: value }),
      });
      assert.equal(response.statusCode, 400, response.body);
      assert.match((response.json() as ErrorBody).error.field ?? '', /^pipeline/);
    });
  }

  const nulls: [Record<string, unknown>, string][] = [
    [{ pipeline: null }, 'pipeline'],
    [{ seed: null }, 'seed'],
    [{ preset: null }, 'preset'],
    [{ tags: null }, 'tags'],
    [{ tags: ['a', null] }, 'tags[1]'],
    [{ variants: null }, 'variants'],
    [{ webhookUrl: null }, 'webhookUrl'],
    [{ files: [{ name: 'a.jpg', bytes: 10, label: null }] }, 'files[0].label'],
    [{ files: [{ name: null, bytes: 10 }] }, 'files[0].name'],
    [{ files: null }, 'files'],
  ];
  for (const [body, field] of nulls) {
    it(`refuses ${JSON.stringify(body)} in a JSON job with a 400 naming ${field}, not a silent default`, async () => {
      // Act
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { files: [{ name: 'a.jpg', bytes: 10 }], ...body },
      });
      // Assess
      assert.equal(response.statusCode, 400, response.body);
      assert.equal((response.json() as ErrorBody).error.field, field);
    });
  }

  it('refuses a field given twice', async () => {
    const form = multipartBody([{ name: 'a.jpg', data: jpeg }], { variants: '2' });
    const payload = Buffer.concat([
      Buffer.from(
        `--${form.headers['content-type']?.split('boundary=')[1]}\r\ncontent-disposition: form-data; name="variants"\r\n\r\n3\r\n`,
      ),
      form.payload,
    ]);
    const response = await t.app.inject({ method: 'POST', url: '/api/jobs', payload, headers: form.headers });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal((response.json() as ErrorBody).error.field, 'variants');
  });
});

describe('multipart bodies from a generator of shapes (parts, fields, names, framing)', () => {
  let t: TestApp;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp({ env: { MAX_FILES_PER_JOB: '3' } });
    jpeg = await gradientJpeg(20, 20);
  });
  after(() => t.close());

  const bytesOf = (data: 'image' | 'junk' | 'empty') =>
    data === 'image' ? jpeg : data === 'junk' ? Buffer.from('<html>not an image at all</html>') : Buffer.alloc(0);

  it('get a 202 or a 4xx in the documented error shape, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostilePart, { maxLength: 6 }), framing, async (parts: HostilePart[], how: Framing) => {
        // Prepare
        const { payload, contentType } = multipartOf(parts, how, bytesOf);
        // Act
        const response = await t.app.inject({
          method: 'POST',
          url: '/api/jobs',
          payload,
          headers: { 'content-type': contentType },
        });
        // Assess
        if (response.statusCode === 202) return;
        assert.ok(response.statusCode >= 400 && response.statusCode < 500, `${response.statusCode} ${response.body}`);
        const { error } = response.json() as ErrorBody;
        assert.equal(typeof error.code, 'string');
        assert.equal(typeof error.message, 'string');
      }),
      { numRuns: 200 },
    );
  });
});
