import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { SourceEventBody } from '@delta-augment/core';
import { type BlobStore, type JobEventStore, JobService, type PutOptions } from '@delta-augment/ports';
import { gradientJpeg } from '../helpers/images.js';
import { type Fixture, fixture, handlerFor, seedJob, sqsEventFor } from '../helpers/jobs.js';

/** Records every variant put with its options, and which keys a sync has finished with. */
const watchedStore = (inner: BlobStore) => {
  const puts = new Map<string, PutOptions | undefined>();
  const synced = new Set<string>();
  const blobs = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'put') {
        return (key: string, body: Buffer, options?: PutOptions) => {
          if (key.startsWith('results/')) puts.set(key, options);
          return target.put(key, body, options);
        };
      }
      if (property === 'sync') {
        return async (keys: readonly string[]) => {
          await target.sync(keys);
          for (const key of keys) synced.add(key);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { blobs, puts, synced };
};

/** Notes, at each append of a source's events, the variant keys it records that no sync had finished with. */
const watchedEvents = (inner: JobEventStore, synced: ReadonlySet<string>) => {
  const unsyncedAtAppend: string[] = [];
  const events = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'appendToSource') {
        return (jobId: string, sourceId: string, expected: number, bodies: readonly SourceEventBody[]) => {
          for (const body of bodies) {
            if (body.type !== 'VariantsWritten') continue;
            unsyncedAtAppend.push(...body.data.variants.map((v) => v.key).filter((key) => !synced.has(key)));
          }
          return target.appendToSource(jobId, sourceId, expected, bodies);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { events, unsyncedAtAppend };
};

describe('the augmenter makes variants durable per batch', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('writes each variant without waiting for the disk and syncs every batch before the event that records it', async () => {
    // Prepare
    f = fixture();
    const { jobId, refs } = await seedJob(f, [{ name: 'a.jpg', data: await gradientJpeg() }], { variants: 12 });
    const store = watchedStore(f.ports.blobs);
    const appends = watchedEvents(f.ports.events, store.synced);
    const jobs = new JobService(appends.events, f.ports.bus);
    // A short batch delay, so that the 12 variants make several batches.
    const handler = handlerFor({ jobs, ports: f.ports }, store.blobs, 5, { batchDelayMs: 1 });
    // Act
    const response = await handler(sqsEventFor(refs.map((r) => r.key)));
    // Assess
    assert.deepEqual(response.batchItemFailures, []);
    assert.equal((await f.jobs.load(jobId))?.status, 'completed');
    const recorded = new Set(
      (await f.jobs.read(jobId)).flatMap((e) =>
        e.type === 'VariantsWritten' ? e.data.variants.map((v) => v.key) : [],
      ),
    );
    const batches = (await f.jobs.read(jobId)).filter((e) => e.type === 'VariantsWritten').length;
    assert.ok(batches > 1, `several batches (got ${batches})`);
    const variantPuts = [...store.puts].filter(([key]) => key.endsWith('.jpg'));
    assert.equal(variantPuts.length, 12);
    assert.ok(
      variantPuts.every(([, options]) => options?.deferSync === true),
      'variants are put without an fsync each',
    );
    assert.equal(recorded.size, 12);
    assert.deepEqual(appends.unsyncedAtAppend, [], 'every variant was synced before the append that records it');
  });
});
