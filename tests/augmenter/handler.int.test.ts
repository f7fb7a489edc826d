import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { TransientError } from '@delta-augment/core';
import type { BlobStore } from '@delta-augment/ports';
import { assertContiguousSeqs } from '../helpers/assertions.js';
import { gradientJpeg } from '../helpers/images.js';
import { type Fixture, fixture, handlerFor, seedJob, sqsEventFor, variantIndices } from '../helpers/jobs.js';

/** A blob store whose reads of one key fail as a storage outage would. */
const failingReads = (inner: BlobStore, failKey: (key: string) => boolean): BlobStore =>
  new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'getBuffer') {
        return async (key: string) => {
          if (failKey(key)) throw new TransientError(`storage unavailable reading ${key}`);
          return target.getBuffer(key);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

describe('the augmenter Lambda handler', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('acknowledges and ignores an s3:TestEvent', async () => {
    f = fixture();
    const event = sqsEventFor(['x']);
    const record = {
      ...event.Records[0],
      body: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' }),
    };
    const response = await handlerFor(f)({ Records: [record as (typeof event.Records)[number]] });
    assert.deepEqual(response.batchItemFailures, []);
  });

  it('decodes URL-encoded keys and completes the job', async () => {
    // Prepare
    f = fixture();
    const { jobId, refs } = await seedJob(f, [{ name: 'a b+c%ü.jpg', data: await gradientJpeg() }]);
    const event = sqsEventFor(refs.map((r) => r.key));
    assert.match(event.Records[0]?.body ?? '', /a\+b%2Bc%25%C3%BC\.jpg/, 'S3 encodes the key, with + for spaces');
    // Act
    const response = await handlerFor(f)(event);
    // Assess
    assert.deepEqual(response.batchItemFailures, []);
    const state = await f.jobs.load(jobId);
    assert.equal(state?.status, 'completed');
    assert.equal((await f.jobs.loadSource(jobId, refs[0]?.sourceId ?? ''))?.variants, 3);
  });

  it('gives one set of outputs and events when the same S3 event arrives twice, even at once', async () => {
    f = fixture();
    const { jobId, refs } = await seedJob(f, [{ name: 'a.jpg', data: await gradientJpeg() }], { variants: 4 });
    const handler = handlerFor(f);
    const event = sqsEventFor(refs.map((r) => r.key));
    await Promise.all([handler(event), handler(event)]);
    await handler(event);
    const events = await f.ports.events.read(jobId);
    assertContiguousSeqs(events);
    assert.deepEqual(variantIndices(events).sort(), [0, 1, 2, 3]);
    assert.equal(events.filter((e) => e.type === 'SourceCompleted').length, 1);
    assert.equal(events.filter((e) => e.type === 'JobCompleted').length, 1);
    assert.equal((await f.ports.blobs.list(`results/${jobId}/`)).filter((k) => k.endsWith('.jpg')).length, 4);
  });

  it('records a corrupt image as a final failure with its reason and acknowledges it', async () => {
    f = fixture();
    const { jobId, refs } = await seedJob(f, [{ name: 'bad.jpg', data: Buffer.from('this is not an image at all') }]);
    const response = await handlerFor(f)(sqsEventFor(refs.map((r) => r.key)));
    assert.deepEqual(response.batchItemFailures, []);
    const state = await f.jobs.load(jobId);
    assert.equal(state?.status, 'failed');
    const failed = (await f.ports.events.read(jobId)).find((e) => e.type === 'SourceFailed');
    assert.equal(failed?.type === 'SourceFailed' && failed.data.final, true);
  });

  it('returns only the record whose storage read failed, as retryable', async () => {
    // Prepare
    f = fixture();
    const good = await seedJob(f, [{ name: 'good.jpg', data: await gradientJpeg() }]);
    const bad = await seedJob(f, [{ name: 'bad.jpg', data: await gradientJpeg() }]);
    const badKey = bad.refs[0]?.key ?? '';
    const handler = handlerFor(
      f,
      failingReads(f.ports.blobs, (key) => key === badKey),
    );
    const event = sqsEventFor([good.refs[0]?.key ?? '', badKey]);
    // Act
    const response = await handler(event);
    // Assess
    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: event.Records[1]?.messageId }]);
    assert.equal((await f.jobs.load(good.jobId))?.status, 'completed');
    const failure = (await f.ports.events.read(bad.jobId)).find((e) => e.type === 'SourceFailed');
    assert.equal(failure?.type === 'SourceFailed' && failure.data.final, false);
    assert.match(failure?.type === 'SourceFailed' ? failure.data.reason : '', /storage unavailable/);
  });

  it('records the dead-lettering on the job at the last allowed attempt', async () => {
    f = fixture();
    const { jobId, refs } = await seedJob(f, [{ name: 'a.jpg', data: await gradientJpeg() }]);
    const handler = handlerFor(
      f,
      failingReads(f.ports.blobs, () => true),
      3,
    );
    const response = await handler(
      sqsEventFor(
        refs.map((r) => r.key),
        3,
      ),
    );
    assert.equal(response.batchItemFailures.length, 1);
    const state = await f.jobs.load(jobId);
    const source = await f.jobs.loadSource(jobId, refs[0]?.sourceId ?? '');
    assert.equal(source?.status, 'dead-lettered');
    assert.equal(state?.status, 'failed');
    assert.match(source?.failure ?? '', /after 3 attempts/);
  });

  it('records a source’s variants in batches, not one event per variant', async () => {
    // Prepare
    f = fixture();
    const { jobId, refs } = await seedJob(f, [{ name: 'a.jpg', data: await gradientJpeg() }], { variants: 12 });
    // Act: batches close on count (or at the end of the source), never on time, so the count is exact
    await handlerFor(f, undefined, 5, { batchDelayMs: 600_000 })(sqsEventFor(refs.map((r) => r.key)));
    // Assess
    const events = await f.ports.events.read(jobId);
    const batches = events.filter((e) => e.type === 'VariantsWritten');
    assert.deepEqual(
      variantIndices(events).sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i),
    );
    assert.equal(batches.length, 1);
    assert.equal((await f.jobs.load(jobId))?.counts.variants, 12);
  });
});
