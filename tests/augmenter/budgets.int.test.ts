import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { PixelGate, processSource } from '@delta-augment/augmenter';
import { blobKeys, newId } from '@delta-augment/core';
import sharp from 'sharp';
import { gradientJpeg } from '../helpers/images.js';
import { type Fixture, fixture } from '../helpers/jobs.js';

const seed = async (f: Fixture, data: Buffer, spec: unknown, variants: number) => {
  const jobId = newId('j');
  const sourceId = newId('s');
  const key = blobKeys.source(jobId, sourceId, 'a.png');
  await f.jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner: 'tester',
    pipeline: { spec, seed: 1 },
    variants,
    tags: [],
    sources: [{ sourceId, name: 'a.png', label: '', key }],
    expiresAt: '2999-01-01T00:00:00.000Z',
  });
  await f.ports.blobs.put(key, data, { contentType: 'image/png' });
  return { jobId, sourceId, key };
};

const depsFor = (
  f: Fixture,
  budgets: { maxOutputPixels?: number; maxJobOutputBytes?: number; maxVariantSeconds?: number },
) => ({
  blobs: f.ports.blobs,
  jobs: f.jobs,
  limits: { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 },
  maxReceiveCount: 3,
  renderConcurrency: 1,
  budgets: { maxOutputPixels: 40_000_000, maxJobOutputBytes: 2 ** 40, maxVariantSeconds: 60, ...budgets },
});

describe('output budgets in the worker', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('fails a source whose variants could pass MAX_OUTPUT_PIXELS before rendering any (the signed-upload path)', async () => {
    // Prepare: the output-bomb repro, a tiny PNG resized to 10000×10000 with noise
    f = fixture();
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const spec = {
      format: 'png',
      steps: [
        { op: 'resize', width: 10000, height: 10000 },
        { op: 'noise', sigma: 100 },
      ],
    };
    const { jobId, sourceId, key } = await seed(f, tiny, spec, 2);
    // Act
    await processSource(depsFor(f, { maxOutputPixels: 1_000_000 }), { jobId, sourceId, key, attempt: 1 }).catch(
      () => undefined,
    );
    // Assess
    const state = await f.jobs.load(jobId);
    assert.equal(state?.status, 'failed');
    const failed = (await f.ports.events.read(jobId)).find((e) => e.type === 'SourceFailed');
    assert.match(JSON.stringify(failed), /MAX_OUTPUT_PIXELS/);
    assert.deepEqual(await f.ports.blobs.list(`results/${jobId}/${sourceId}/`), []);
  });

  it('stops writing variants once the job reached MAX_JOB_OUTPUT_BYTES, and ends the job', async () => {
    // Prepare: each variant of this noisy PNG is several KB; the budget allows about two
    f = fixture();
    const image = await gradientJpeg(64, 64);
    const spec = { format: 'png', steps: [{ op: 'noise', sigma: 60 }] };
    const { jobId, sourceId, key } = await seed(f, image, spec, 20);
    // Act
    await processSource(depsFor(f, { maxJobOutputBytes: 16 * 1024 }), { jobId, sourceId, key, attempt: 1 }).catch(
      () => undefined,
    );
    // Assess
    const state = await f.jobs.load(jobId);
    const written = state?.counts.variants ?? 0;
    assert.equal(state?.status, 'failed');
    assert.ok(written < 20, `${written} variants written`);
    const failed = (await f.ports.events.read(jobId)).find((e) => e.type === 'SourceFailed');
    assert.match(JSON.stringify(failed), /MAX_JOB_OUTPUT_BYTES/);
  });

  it('fails a variant that renders longer than MAX_VARIANT_SECONDS instead of retrying it for ever', async () => {
    // Prepare: a 2000×2000 AVIF with elastic distortion takes well over a second on any machine
    f = fixture();
    const image = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const spec = {
      format: 'avif',
      quality: 90,
      steps: [
        { op: 'elasticDistort', magnitude: 0.2, scale: 0.05 },
        { op: 'noise', sigma: 50 },
      ],
    };
    const { jobId, sourceId, key } = await seed(f, image, spec, 1);
    // Act
    await processSource(depsFor(f, { maxVariantSeconds: 1 }), { jobId, sourceId, key, attempt: 1 }).catch(
      () => undefined,
    );
    // Assess
    const state = await f.jobs.load(jobId);
    assert.equal(state?.status, 'failed');
    const failed = (await f.ports.events.read(jobId)).find((e) => e.type === 'SourceFailed');
    assert.match(JSON.stringify(failed), /MAX_VARIANT_SECONDS/);
  });
});

describe('the decode gate', () => {
  it('lets decodes run at once only while their pixels fit, first come first served', async () => {
    // Prepare
    const gate = new PixelGate(100);
    const order: string[] = [];
    // Act
    const a = await gate.acquire(60);
    const b = gate.acquire(60).then((release) => {
      order.push('b');
      return release;
    });
    const c = gate.acquire(10).then((release) => {
      order.push('c');
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const heldWhileA = gate.inUse;
    a();
    const releaseB = await b;
    const releaseC = await c;
    // Assess
    assert.equal(heldWhileA, 60, 'c waits behind b even though it would fit');
    assert.deepEqual(order, ['b', 'c']);
    assert.equal(gate.inUse, 70);
    releaseB();
    releaseC();
    assert.equal(gate.inUse, 0);
  });

  it('admits a decode larger than the whole budget once the gate is empty', async () => {
    const gate = new PixelGate(100);
    const release = await gate.acquire(1_000);
    assert.equal(gate.inUse, 100);
    release();
    release();
    assert.equal(gate.inUse, 0);
  });

  it('weighs a source by what it will hold: its input plus two buffers per variant rendered at once', async () => {
    // Prepare: a 100×80 PNG that the pipeline scales up to 2000×1000, two variants rendered at once, and a gate that
    // records what it is asked for
    const f = fixture();
    const small = await sharp({ create: { width: 100, height: 80, channels: 3, background: '#468' } })
      .png()
      .toBuffer();
    const spec = { format: 'png', steps: [{ op: 'resize', width: 2000, height: 1000 }] };
    const { jobId, sourceId, key } = await seed(f, small, spec, 2);
    const asked: number[] = [];
    const gate = new (class extends PixelGate {
      override acquire(pixels: number) {
        asked.push(pixels);
        return super.acquire(pixels);
      }
    })(100_000_000);

    // Act
    await processSource(
      { ...depsFor(f, {}), renderConcurrency: 2, decodeGate: gate },
      { jobId, sourceId, key, attempt: 1 },
    );

    // Assess: not the 8,000 pixels it decodes, but what its renders hold
    assert.deepEqual(asked, [100 * 80 + 2 * 2 * 2000 * 1000]);
    assert.equal(gate.inUse, 0, 'given back');
    assert.equal((await f.jobs.load(jobId))?.status, 'completed');
    await f.close();
  });
});
