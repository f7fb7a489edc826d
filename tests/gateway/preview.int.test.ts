import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { sharedImage } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';
import { errorOf } from './fixtures.js';

interface PreviewAnswer {
  pipeline: { name: string; seed: number };
  source: { width: number; height: number };
  variants: { index: number; width: number; height: number; image: string; operations: { op: string }[] }[];
}

const pixelsOf = (dataUrl: string) => Buffer.from(dataUrl.split(',')[1] ?? '', 'base64');

describe('POST /api/preview', () => {
  let t: TestApp;
  const photo = sharedImage('ladybird.jpg');
  before(async () => {
    t = await testApp({ workers: true });
  });
  after(() => t.close());

  const preview = (fields: Record<string, string>, data = photo) =>
    t.app.inject({ method: 'POST', url: '/api/preview', ...multipartBody([{ name: 'ladybird.jpg', data }], fields) });

  it('renders the asked variants of an uploaded image, within the size, with their operations', async () => {
    // Act
    const response = await preview({ count: '3', size: '256', seed: '11', preset: 'delta-classic' });
    // Assess
    assert.equal(response.statusCode, 200, response.body);
    const body = JSON.parse(response.body) as PreviewAnswer;
    assert.equal(body.variants.length, 3);
    assert.equal(body.pipeline.seed, 11);
    assert.ok(Math.max(body.source.width, body.source.height) <= 256);
    for (const variant of body.variants) {
      const meta = await sharp(pixelsOf(variant.image)).metadata();
      assert.ok(Math.max(meta.width ?? 0, meta.height ?? 0) <= 256 * 2, `${meta.width}x${meta.height}`);
      assert.ok(Array.isArray(variant.operations));
    }
  });

  it('is deterministic: the same seed gives the same images, and nothing is stored', async () => {
    // Act
    const first = JSON.parse((await preview({ count: '2', seed: '5' })).body) as PreviewAnswer;
    const second = JSON.parse((await preview({ count: '2', seed: '5' })).body) as PreviewAnswer;
    // Assess
    assert.deepEqual(
      first.variants.map((v) => v.image),
      second.variants.map((v) => v.image),
    );
    assert.deepEqual(await t.ports.blobs.list(''), []);
  });

  it('draws the operations a job with the same seed draws for the same file', async () => {
    // Prepare
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'ladybird.jpg', data: photo }], { variants: '2', seed: '99' }),
    });
    const jobId = (JSON.parse(created.body) as { id: string }).id;
    const events = await waitFor(
      async () => {
        const job = await t.app.inject({ method: 'GET', url: `/api/jobs/${jobId}` });
        if ((JSON.parse(job.body) as { status: string }).status !== 'completed') return undefined;
        return JSON.parse((await t.app.inject({ method: 'GET', url: `/api/jobs/${jobId}/events` })).body) as {
          type: string;
          data: { variants?: { index: number; operations: { op: string }[] }[] };
        }[];
      },
      30_000,
      'the job to complete',
    );
    // Act
    const answer = JSON.parse((await preview({ count: '2', seed: '99' })).body) as PreviewAnswer;
    // Assess
    const written = events
      .flatMap((e) => (e.type === 'VariantsWritten' ? (e.data.variants ?? []) : []))
      .sort((a, b) => a.index - b.index);
    assert.deepEqual(
      answer.variants.map((v) => v.operations.map((o) => o.op)),
      written.map((v) => v.operations.map((o) => o.op)),
    );
  });

  it('previews a stored source of a job by its ids (JSON)', async () => {
    // Prepare
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'ladybird.jpg', data: photo }], { variants: '1' }),
    });
    const job = JSON.parse(created.body) as { id: string; sources: { sourceId: string }[] };
    // Act
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/preview',
      payload: { jobId: job.id, sourceId: job.sources[0]?.sourceId, count: 1, preset: 'delta-classic' },
    });
    // Assess
    assert.equal(response.statusCode, 200, response.body);
    assert.equal((JSON.parse(response.body) as PreviewAnswer).variants.length, 1);
  });

  it('refuses more than 8 variants and more than 1024 px, naming the limit', async () => {
    const tooMany = await preview({ count: '9' });
    assert.equal(tooMany.statusCode, 400);
    assert.equal(errorOf(tooMany).field, 'count');
    assert.match(errorOf(tooMany).message, /1 to 8/);
    const tooLarge = await preview({ size: '2048' });
    assert.equal(tooLarge.statusCode, 400);
    assert.equal(errorOf(tooLarge).field, 'size');
    assert.match(errorOf(tooLarge).message, /1024/);
  });

  it('keeps a resize step within the preview size, so a preview cannot allocate a huge image', async () => {
    // Act
    const spec = { steps: [{ op: 'resize', probability: 1, width: 16000, height: 12000 }] };
    const response = await preview({ count: '2', size: '200', pipeline: JSON.stringify(spec) });
    // Assess
    assert.equal(response.statusCode, 200, response.body);
    for (const variant of (JSON.parse(response.body) as PreviewAnswer).variants) {
      assert.ok(Math.max(variant.width, variant.height) <= 200, `${variant.width}x${variant.height}`);
    }
  });

  it('refuses a file that is not an image with a 4xx', async () => {
    const response = await preview({}, Buffer.from('not an image at all'));
    assert.ok(response.statusCode >= 400 && response.statusCode < 500, response.body);
  });
});
