import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { PixelGate, type ProcessDeps, processSource } from '@delta-augment/augmenter';
import { blobKeys, newId } from '@delta-augment/core';
import type { BlobStore } from '@delta-augment/ports';
import { gradientJpeg } from '../helpers/images.js';
import { type Fixture, fixture } from '../helpers/jobs.js';

/** A job of `count` sources, each stored; returns their messages. */
const seedJob = async (f: Fixture, count: number, variants: number) => {
  const jobId = newId('j');
  const sources = Array.from({ length: count }, (_, i) => {
    const sourceId = newId('s');
    return { sourceId, name: `${i}.jpg`, label: '', key: blobKeys.source(jobId, sourceId, `${i}.jpg`) };
  });
  await f.jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner: 'tester',
    pipeline: { spec: { format: 'jpeg', steps: [{ op: 'rotate', angle: [-10, 10] }] }, seed: 1 },
    variants,
    tags: [],
    sources,
    expiresAt: '2999-01-01T00:00:00.000Z',
  });
  const image = await gradientJpeg(96, 64);
  for (const s of sources) await f.ports.blobs.put(s.key, image, { contentType: 'image/jpeg' });
  return sources.map((s) => ({ jobId, sourceId: s.sourceId, key: s.key, attempt: 1 }));
};

/** The blob store, noting which source each variant written belongs to, in order. */
const noting = (blobs: BlobStore, order: string[]): BlobStore =>
  new Proxy(blobs, {
    get(target, name, receiver) {
      if (name === 'put') {
        return (key: string, ...rest: Parameters<BlobStore['put']> extends [string, ...infer R] ? R : never) => {
          const variant = /^results\/[^/]+\/([^/]+)\/\d+\.jpg$/.exec(key);
          if (variant) order.push(variant[1] as string);
          return target.put(key, ...rest);
        };
      }
      return Reflect.get(target, name, receiver);
    },
  });

const depsFor = (f: Fixture, order: string[], sourceGate?: PixelGate): ProcessDeps => ({
  blobs: noting(f.ports.blobs, order),
  jobs: f.jobs,
  limits: { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 },
  maxReceiveCount: 3,
  renderConcurrency: 1,
  ...(sourceGate ? { sourceGate } : {}),
});

/** How many times the writer switches from one source to another. */
const switches = (order: readonly string[]): number => order.filter((s, i) => i > 0 && s !== order[i - 1]).length;

describe('the source gate of a worker process', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('renders the sources of a batch one after another when it admits one at a time', async () => {
    // Prepare: three sources of six variants, processed at once as one batch's records are
    f = fixture();
    const messages = await seedJob(f, 3, 6);
    const order: string[] = [];
    const deps = depsFor(f, order, new PixelGate(1));
    // Act
    await Promise.all(messages.map((m) => processSource(deps, m)));
    // Assess: every variant written, each source's in one run
    assert.equal(order.length, 18);
    assert.equal(switches(order), 2);
    assert.equal((await f.jobs.load(messages[0]?.jobId as string))?.status, 'completed');
  });

  it('without it, the same records interleave their variants (what the gate prevents)', async () => {
    // Prepare
    f = fixture();
    const messages = await seedJob(f, 3, 6);
    const order: string[] = [];
    const deps = depsFor(f, order);
    // Act
    await Promise.all(messages.map((m) => processSource(deps, m)));
    // Assess
    assert.equal(order.length, 18);
    assert.ok(switches(order) > 2, `variants of the sources interleave: ${switches(order)} switches`);
  });
});
