import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  archiveRequestBody,
  createArchiveHandler,
  createHandler,
  queueArchiveRequests,
  WorkerPool,
} from '@delta-augment/augmenter';
import { blobKeys, TERMINAL_EVENT_TYPES } from '@delta-augment/core';
import { failDeadLetteredFinalisations } from '@delta-augment/gateway';
import { ARCHIVE_DEAD_LETTER_QUEUE, ARCHIVE_QUEUE, type BlobStore } from '@delta-augment/ports';
import { SqliteWorkQueue } from '@delta-augment/ports/local';
import { gradientJpeg } from '../helpers/images.js';
import { type Fixture, fixture, seedJob, sqsEventFor } from '../helpers/jobs.js';
import { tempDir } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';

/** Counts reads of keys under `results/` (variants read back to build a zip). */
const countingResultReads = (inner: BlobStore): { blobs: BlobStore; reads: () => number } => {
  let reads = 0;
  const blobs = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'getBuffer' || property === 'get') {
        return (key: string, ...rest: unknown[]) => {
          if (key.startsWith('results/')) reads += 1;
          return (target[property] as (...a: unknown[]) => unknown).call(target, key, ...rest);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { blobs, reads: () => reads };
};

/** The archive queue and its DLQ, as infra declares them (SQLite stand-in). */
const archiveQueue = () =>
  new SqliteWorkQueue(join(tempDir(), 'archives.sqlite'), {
    [ARCHIVE_QUEUE]: {
      visibilityTimeoutSeconds: 30,
      retentionSeconds: 4 * 24 * 3600,
      deadLetter: { queue: ARCHIVE_DEAD_LETTER_QUEUE, maxReceiveCount: 3 },
    },
    [ARCHIVE_DEAD_LETTER_QUEUE]: { visibilityTimeoutSeconds: 30, retentionSeconds: 14 * 24 * 3600 },
  });

/** The archiver function fed by its own queue, as its event source mapping runs it (one request at a time). */
const archiverPool = (queue: SqliteWorkQueue, blobs: BlobStore, f: Fixture) =>
  new WorkerPool({
    queue,
    queueName: ARCHIVE_QUEUE,
    handler: createArchiveHandler({ blobs, jobs: f.jobs, maxReceiveCount: 3 }),
    batchSize: 1,
    batchWindowSeconds: 0,
    maxConcurrency: 1,
    visibilityTimeoutSeconds: 30,
    handlerTimeoutSeconds: 5,
  });

const limits = { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 };

/** A one-source job whose source the augmenter has settled, handing its finalisation to `requestFinalise`. */
const settledJob = async (f: Fixture, requestFinalise: (jobId: string) => Promise<void>): Promise<string> => {
  const { jobId, refs } = await seedJob(f, [{ name: 'a.jpg', data: await gradientJpeg() }], { variants: 2 });
  await createHandler({
    blobs: f.ports.blobs,
    jobs: f.jobs,
    limits,
    maxReceiveCount: 5,
    renderConcurrency: 2,
    requestFinalise,
  })(sqsEventFor(refs.map((r) => r.key)));
  return jobId;
};

describe('archives built by the archiver, outside the per-record path', () => {
  let f: Fixture;
  let queue: SqliteWorkQueue;
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.stop();
    pool = undefined;
    await queue.close();
    await f.close();
  });

  describe('when the augmenter settles the last source of a large job (scaled down: 4 sources x 25 variants)', () => {
    it('queues one archive request and reads no variant back; the archiver then writes the zip and completes the job', async () => {
      // Prepare
      f = fixture();
      queue = archiveQueue();
      const image = await gradientJpeg();
      const sources = ['a', 'b', 'c', 'd'].map((n) => ({ name: `${n}.jpg`, data: image }));
      const { jobId, refs } = await seedJob(f, sources, { variants: 25 });
      const counted = countingResultReads(f.ports.blobs);
      const augmenter = createHandler({
        blobs: counted.blobs,
        jobs: f.jobs,
        limits,
        maxReceiveCount: 5,
        renderConcurrency: 2,
        requestFinalise: queueArchiveRequests(queue, ARCHIVE_QUEUE),
      });
      // Act: the upload records, as the event source mapping delivers them
      const response = await augmenter(sqsEventFor(refs.map((r) => r.key)));
      // Assess: the records are done, the job waits for its archive, no variant was read back
      assert.deepEqual(response.batchItemFailures, []);
      assert.equal(counted.reads(), 0, 'the upload records read no variant back');
      assert.notEqual((await f.jobs.load(jobId))?.status, 'completed');
      assert.equal(await f.ports.blobs.head(blobKeys.archive(jobId)), undefined);
      const requests = await queue.peek(ARCHIVE_QUEUE, { max: 10 });
      assert.ok(requests.length >= 1);
      assert.ok(requests.every((m) => m.body === archiveRequestBody(jobId)));

      // Act: the archiver function, fed by its own queue
      pool = archiverPool(queue, counted.blobs, f);
      pool.start();
      for (let i = 0; i < 300 && (await f.jobs.load(jobId))?.status !== 'completed'; i++) await sleep(100);
      // Assess
      assert.equal((await f.jobs.load(jobId))?.status, 'completed');
      assert.ok(counted.reads() >= 100, 'the archiver read the 100 variants');
      const zip = await readZip(await f.ports.blobs.getBuffer(blobKeys.archive(jobId)));
      assert.equal([...zip.keys()].filter((name) => name.endsWith('.jpg')).length, 100);
      assert.ok(zip.has('manifest.json'));
      for (let i = 0; i < 100 && (await queue.stats(ARCHIVE_QUEUE)).inFlight > 0; i++) await sleep(50);
      assert.equal((await queue.stats(ARCHIVE_QUEUE)).visible, 0);
    });
  });

  describe('when the archiver is killed at every receive of a request (out of memory, out of time)', () => {
    it('leaves the request in the DLQ until the gateway sweep fails the job once; a redrive changes nothing', async () => {
      // Prepare: a settled job whose archive request is received three times and never answered
      f = fixture();
      queue = archiveQueue();
      const jobId = await settledJob(f, queueArchiveRequests(queue, ARCHIVE_QUEUE));
      for (let receive = 1; receive <= 3; receive++)
        assert.equal((await queue.receive(ARCHIVE_QUEUE, { visibilityTimeoutSeconds: 0 })).length, 1);
      assert.deepEqual(await queue.receive(ARCHIVE_QUEUE, { visibilityTimeoutSeconds: 0 }), []);
      const [dead] = await queue.peek(ARCHIVE_DEAD_LETTER_QUEUE);
      assert.equal(dead?.body, archiveRequestBody(jobId));
      assert.equal((await f.jobs.load(jobId))?.status, 'processing', 'nothing on the job says so');

      // Act: the AWS gateway's sweep, twice (every instance runs it)
      const sweep = { queue, jobs: f.jobs };
      const failed = [await failDeadLetteredFinalisations(sweep), await failDeadLetteredFinalisations(sweep)];

      // Assess: failed once, with the reason; the request kept for the operator
      assert.deepEqual(failed, [1, 0]);
      const job = await f.jobs.load(jobId);
      assert.equal(job?.status, 'failed');
      assert.match(
        job?.failure ?? '',
        /^the job could not be finalised after 3 attempts: the last attempt .* did not finish/,
      );
      const ended = await f.jobs.read(jobId, 0, 1000);
      assert.equal(ended.filter((e) => TERMINAL_EVENT_TYPES.includes(e.type)).length, 1);
      assert.equal((await queue.peek(ARCHIVE_DEAD_LETTER_QUEUE)).length, 1);

      // Act: the operator redrives it to a working archiver
      await queue.redrive(ARCHIVE_DEAD_LETTER_QUEUE);
      pool = archiverPool(queue, f.ports.blobs, f);
      pool.start();
      for (let i = 0; i < 200; i++) {
        const stats = await queue.stats(ARCHIVE_QUEUE);
        if (stats.visible + stats.inFlight === 0) break;
        await sleep(50);
      }
      // Assess: acknowledged, nothing appended, no archive
      assert.equal((await queue.stats(ARCHIVE_QUEUE)).visible + (await queue.stats(ARCHIVE_QUEUE)).inFlight, 0);
      assert.deepEqual(await f.jobs.read(jobId, 0, 1000), ended);
      assert.equal(await f.ports.blobs.head(blobKeys.archive(jobId)), undefined);
    });
  });

  describe('when the archive cannot be written', () => {
    it('returns the request for a retry, and records the job as failed at the last receive', async () => {
      // Prepare
      f = fixture();
      queue = archiveQueue();
      const jobId = await settledJob(f, async () => {});
      const broken = new Proxy(f.ports.blobs, {
        get(target, property, receiver) {
          if (property === 'put') return async () => Promise.reject(new Error('bucket unavailable'));
          const value = Reflect.get(target, property, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      const archiver = createArchiveHandler({ blobs: broken, jobs: f.jobs, maxReceiveCount: 3 });
      const request = (receiveCount: number) => {
        const event = sqsEventFor(['unused'], receiveCount);
        return { Records: event.Records.map((r) => ({ ...r, body: archiveRequestBody(jobId) })) };
      };
      // Act
      const first = await archiver(request(1));
      const last = await archiver(request(3));
      // Assess
      assert.equal(first.batchItemFailures.length, 1);
      assert.deepEqual(last.batchItemFailures, []);
      const state = await f.jobs.load(jobId);
      assert.equal(state?.status, 'failed');
    });

    it('sends an unreadable request to the dead-letter queue by failing it', async () => {
      f = fixture();
      queue = archiveQueue();
      const event = sqsEventFor(['x']);
      const response = await createArchiveHandler({ blobs: f.ports.blobs, jobs: f.jobs, maxReceiveCount: 3 })({
        Records: event.Records.map((r) => ({ ...r, body: '{"type":"something else"}' })),
      });
      assert.equal(response.batchItemFailures.length, 1);
    });
  });
});
