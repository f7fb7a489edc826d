import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_NAME_BYTES } from '@delta-augment/core';
import { LocalBlobStore } from '@delta-augment/ports/local';
import fc from 'fast-check';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { tempDir, waitFor } from '../helpers/server.js';
import { hostileFileName } from './generators.js';

interface JobView {
  id: string;
  status: string;
  failure?: string;
  sources: { name: string; status: string }[];
}

describe('an upload named 130 × 漢 + .png (issue 17, repro 9)', () => {
  let t: TestApp;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp({ workers: true });
    jpeg = await gradientJpeg(40, 30);
  });
  after(() => t.close());

  it('is stored under a name of at most 120 UTF-8 bytes that keeps its extension, and the job completes', async () => {
    // Prepare
    const form = multipartBody([{ name: `${'漢'.repeat(130)}.jpg`, data: jpeg }], { variants: '1' });
    // Act
    const created = await t.app.inject({ method: 'POST', url: '/api/jobs', ...form });
    // Assess
    assert.equal(created.statusCode, 202, created.body);
    const job = created.json() as JobView;
    const name = job.sources[0]?.name ?? '';
    assert.ok(Buffer.byteLength(name) <= MAX_NAME_BYTES, name);
    assert.ok(name.endsWith('.jpg'), name);
    const done = await waitFor(
      async () => {
        const view = (await t.app.inject({ url: `/api/jobs/${job.id}` })).json() as JobView;
        return view.status === 'completed' || view.status === 'failed' ? view : undefined;
      },
      30_000,
      'the job to end',
    );
    assert.equal(done.status, 'completed', done.failure);
    const keys = await t.ports.blobs.list(`sources/${job.id}/`);
    assert.equal(keys.length, 1);
    assert.ok(keys[0]?.endsWith(`/${name}`));
  });

  it('answers every generated file name with 202 or a 4xx, never a 5xx, and never names a server path', async () => {
    await fc.assert(
      fc.asyncProperty(hostileFileName, async (raw) => {
        // Prepare: a multipart header cannot carry quotes or line breaks.
        const form = multipartBody([{ name: raw.replace(/["\r\n\\]/g, '_'), data: jpeg }], { variants: '1' });
        // Act
        const response = await t.app.inject({ method: 'POST', url: '/api/jobs', ...form });
        // Assess
        assert.ok(
          response.statusCode === 202 || (response.statusCode >= 400 && response.statusCode < 500),
          response.body,
        );
        assert.ok(!response.body.includes(t.config.dataDir), response.body);
        if (response.statusCode === 202) {
          const name = (response.json() as JobView).sources[0]?.name ?? '';
          assert.ok(Buffer.byteLength(name) <= MAX_NAME_BYTES);
          await t.app.inject({ method: 'DELETE', url: `/api/jobs/${(response.json() as JobView).id}` });
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('a blob store write the file system refuses', () => {
  it('fails with the error code, not the absolute path of DATA_DIR', async () => {
    // Prepare: a key segment of 300 bytes is longer than any file system allows.
    const root = tempDir();
    const store = new LocalBlobStore({ root });
    // Act
    const error = await store.put(`results/j/${'漢'.repeat(100)}.png`, Buffer.from('x')).then(
      () => undefined,
      (e: Error) => e,
    );
    // Assess
    assert.ok(error, 'the write was refused');
    assert.match(error.message, /ENAMETOOLONG/);
    assert.ok(!error.message.includes(root), error.message);
  });
});
