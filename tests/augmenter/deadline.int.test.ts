import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHandler } from '@delta-augment/augmenter';
import type { BlobStore } from '@delta-augment/ports';
import { gradientJpeg } from '../helpers/images.js';
import { type Fixture, fixture, seedJob, sqsEventFor } from '../helpers/jobs.js';

/** A blob store whose writes under one job's results take `delayMs` each, as a throttled bucket would. */
const slowWrites = (inner: BlobStore, slowPrefix: string, delayMs: number): BlobStore =>
  new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'put') {
        return async (key: string, ...rest: unknown[]) => {
          if (key.startsWith(slowPrefix)) await sleep(delayMs);
          return (target.put as (...a: unknown[]) => Promise<unknown>)(key, ...rest);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

/** Lambda's Node context as far as the handler reads it: the time left until `deadline`. */
const lambdaContext = (deadline: number) => ({ getRemainingTimeInMillis: () => deadline - Date.now() });

describe('the augmenter handler near its deadline', () => {
  let f: Fixture;
  afterEach(() => f.close());

  describe('when one record of the batch is too slow to finish in the invocation', () => {
    it('answers before the deadline, returning only the slow record as failed', async () => {
      // Prepare: a quick job and a job whose 40 variant writes take 600 ms each (12 s at 2 at a time).
      f = fixture();
      const quick = await seedJob(f, [{ name: 'quick.jpg', data: await gradientJpeg() }], { variants: 2 });
      const slow = await seedJob(f, [{ name: 'slow.jpg', data: await gradientJpeg() }], { variants: 40 });
      const handler = createHandler({
        blobs: slowWrites(f.ports.blobs, `results/${slow.jobId}/`, 600),
        jobs: f.jobs,
        limits: { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 },
        maxReceiveCount: 5,
        renderConcurrency: 2,
        deadlineMarginMs: 2_000,
      });
      const event = sqsEventFor([quick.refs[0]?.key ?? '', slow.refs[0]?.key ?? '']);
      const deadline = Date.now() + 8_000;
      // Act
      const response = await handler(event, lambdaContext(deadline));
      const answeredAt = Date.now();
      // Assess
      assert.ok(answeredAt < deadline, `answered ${answeredAt - deadline} ms after the deadline`);
      assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: event.Records[1]?.messageId }]);
      assert.equal((await f.jobs.load(quick.jobId))?.status, 'completed');
      const written = (await f.jobs.load(slow.jobId))?.counts.variants ?? 0;
      assert.ok(written > 0 && written < 40, `the slow source keeps the ${written} variants it wrote`);
    });

    it('records the interrupted source as a retryable failure once its in-flight writes end', async () => {
      // Prepare
      f = fixture();
      const slow = await seedJob(f, [{ name: 'slow.jpg', data: await gradientJpeg() }], { variants: 40 });
      const handler = createHandler({
        blobs: slowWrites(f.ports.blobs, `results/${slow.jobId}/`, 300),
        jobs: f.jobs,
        limits: { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 },
        maxReceiveCount: 5,
        renderConcurrency: 2,
        deadlineMarginMs: 4_000,
      });
      // Act
      const response = await handler(sqsEventFor([slow.refs[0]?.key ?? '']), lambdaContext(Date.now() + 6_000));
      // Assess
      assert.equal(response.batchItemFailures.length, 1);
      const failed = async () =>
        (await f.ports.events.read(slow.jobId)).find((e) => e.type === 'SourceFailed' && !e.data.final);
      for (let i = 0; i < 100 && !(await failed()); i++) await sleep(100);
      const failure = await failed();
      assert.ok(failure, 'a retryable SourceFailed event');
      assert.match(failure.type === 'SourceFailed' ? failure.data.reason : '', /ran out of time/);
    });
  });

  describe('when the batch finishes in time', () => {
    it('returns no failures and leaves no timer behind', async () => {
      f = fixture();
      const job = await seedJob(f, [{ name: 'a.jpg', data: await gradientJpeg() }], { variants: 2 });
      const handler = createHandler({
        blobs: f.ports.blobs,
        jobs: f.jobs,
        limits: { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 },
        maxReceiveCount: 5,
        renderConcurrency: 2,
      });
      const response = await handler(sqsEventFor([job.refs[0]?.key ?? '']), lambdaContext(Date.now() + 900_000));
      assert.deepEqual(response.batchItemFailures, []);
      assert.equal((await f.jobs.load(job.jobId))?.status, 'completed');
    });
  });
});
