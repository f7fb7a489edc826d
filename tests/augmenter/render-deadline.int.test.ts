import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkVariantPixels, resolvePipeline } from '@delta-augment/core';
import { decodeSource, isStoppedAtDeadline, renderVariant } from '@delta-augment/engine';
import { loadConfig } from '@delta-augment/ports';
import sharp from 'sharp';
import { errorOf } from '../gateway/fixtures.js';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';

/** A 6000×6000 noise PNG: 36 MP whose blur and encode take many seconds on any machine. */
const noisePng = async (): Promise<Buffer> => {
  const width = 6000;
  const height = 6000;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png({ compressionLevel: 1 })
    .toBuffer();
};

describe('a render past its deadline', () => {
  it('is stopped by libvips instead of finishing in the background', async () => {
    // Prepare: a blur with a sigma of 50 over 36 MP, then a PNG encode
    const source = await decodeSource(await noisePng(), { maxPixels: 40_000_000, maxInputBytes: 2 ** 30 });
    const pipeline = resolvePipeline({ seed: 1, spec: { format: 'png', steps: [{ op: 'blur', sigma: [50, 50] }] } });
    const started = Date.now();
    // Act
    const error = await renderVariant(source, pipeline, 0, undefined, { stopAt: started + 1000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Assess: it rejected as stopped (how long that took depends on the machine, so it is only reported)
    assert.ok(error !== undefined, 'the render finished instead of being stopped');
    assert.ok(isStoppedAtDeadline(error), `stopped for another reason: ${String(error)}`);
    console.log(`stopped after ${Date.now() - started} ms: ${(error as Error).message.split('\n')[0]}`);
  });

  it('stops between stages once its signal aborts', async () => {
    // Prepare
    const source = await decodeSource(await noisePng(), { maxPixels: 40_000_000, maxInputBytes: 2 ** 30 });
    const pipeline = resolvePipeline({
      seed: 1,
      spec: {
        format: 'png',
        steps: [
          { op: 'blur', sigma: [1, 1] },
          { op: 'noise', sigma: [10, 10] },
        ],
      },
    });
    const controller = new AbortController();
    controller.abort(new Error('the job was deleted'));
    // Act + Assess
    await assert.rejects(renderVariant(source, pipeline, 0, undefined, { signal: controller.signal }), /deleted/);
  });
});

describe('AVIF outputs, whose encoder cannot be stopped', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { MAX_VARIANT_SECONDS: '10' } });
  });
  after(() => t.close());

  it('are refused up front when larger than MAX_AVIF_OUTPUT_PIXELS, naming it and the way out', async () => {
    // Prepare: 10 s × 130,000 pixels/s = 1.3 MP allowed; a 2000×1000 source is 2 MP
    const png = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    // Act
    const avif = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.png', data: png, type: 'image/png' }], {
        pipeline: JSON.stringify({ format: 'avif', steps: [{ op: 'flip' }] }),
      }),
    });
    const webp = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.png', data: png, type: 'image/png' }], {
        pipeline: JSON.stringify({ format: 'webp', steps: [{ op: 'flip' }] }),
      }),
    });
    // Assess
    assert.equal(avif.statusCode, 422);
    assert.equal(errorOf(avif).code, 'OUTPUT_TOO_LARGE');
    assert.match(errorOf(avif).message, /MAX_AVIF_OUTPUT_PIXELS\) is 1300000.*use jpeg, png or webp/);
    assert.equal(webp.statusCode, 202);
  });

  it('fail in the worker before any work when the source was uploaded through a signed URL', () => {
    const budgets = loadConfig({ MAX_VARIANT_SECONDS: '10' }).budgets;
    const spec = resolvePipeline({ seed: 1, spec: { steps: [{ op: 'flip' }] } }).spec;
    assert.throws(
      () => checkVariantPixels(spec, { width: 2000, height: 1000, format: 'heif' }, budgets),
      /MAX_AVIF_OUTPUT_PIXELS/,
    );
    assert.doesNotThrow(() => checkVariantPixels(spec, { width: 2000, height: 1000, format: 'png' }, budgets));
  });
});
