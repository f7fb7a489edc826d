import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConcurrencyError, isConcurrencyError } from '../../packages/core/src/errors.js';
import { foldEvents } from '../../packages/core/src/jobs/state.js';
import type { JobEventStore } from '../../packages/ports/src/job-event-store/port.js';
import type { TestClock } from './helpers/clock.js';
import { jobCreated, sourceCompleted, sourceStarted, sourceUploaded, variantWritten } from './helpers/job-events.js';

export interface JobEventStoreFixture {
  /** An empty store whose append time is `clock`. */
  readonly store: JobEventStore;
  readonly clock: TestClock;
  cleanup(): Promise<void>;
}

/** The stored form of a state: what a store keeps (JSON drops `undefined` members). */
const asStored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export const describeJobEventStoreContract = (name: string, factory: () => Promise<JobEventStoreFixture>): void => {
  describe(`JobEventStore contract: ${name}`, () => {
    let fx: JobEventStoreFixture;
    let store: JobEventStore;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    /** Creates a job one second after the previous one, so that creation order is unambiguous. */
    const createJob = async (jobId: string, options: Parameters<typeof jobCreated>[0] = {}) => {
      fx.clock.advanceSeconds(1);
      return store.append(jobId, 0, [jobCreated(options)]);
    };

    describe('when events are appended to a new stream', () => {
      it('numbers them 1, 2, 3 with the job id and the append time, and reads them back in order', async () => {
        // Prepare
        const at = new Date(fx.clock.now()).toISOString();
        // Act
        const appended = await store.append('job-1', 0, [jobCreated(), sourceUploaded(), sourceStarted()]);
        const read = await store.read('job-1');
        // Assess
        assert.deepEqual(
          appended.map((e) => [e.jobId, e.seq, e.type]),
          [
            ['job-1', 1, 'JobCreated'],
            ['job-1', 2, 'SourceUploaded'],
            ['job-1', 3, 'SourceStarted'],
          ],
        );
        assert.ok(appended.every((e) => Date.parse(e.at) >= Date.parse(at) - 1000));
        assert.deepEqual(read, appended);
      });

      it('returns nothing and stores nothing for an empty append', async () => {
        assert.deepEqual(await store.append('job-1', 0, []), []);
        assert.deepEqual(await store.read('job-1'), []);
      });
    });

    describe('when appending at the current version', () => {
      it('continues the sequence without gaps, and read after a seq returns only later events', async () => {
        await store.append('job-1', 0, [jobCreated()]);
        await store.append('job-1', 1, [sourceUploaded(), sourceStarted()]);
        await store.append('job-1', 3, [variantWritten()]);
        const all = await store.read('job-1');
        const later = await store.read('job-1', 2);
        assert.deepEqual(
          all.map((e) => e.seq),
          [1, 2, 3, 4],
        );
        assert.deepEqual(
          later.map((e) => [e.seq, e.type]),
          [
            [3, 'SourceStarted'],
            [4, 'VariantWritten'],
          ],
        );
      });
    });

    describe('when appending at a stale version', () => {
      it('throws the shared ConcurrencyError and leaves the stream as it was', async () => {
        await store.append('job-1', 0, [jobCreated()]);
        await store.append('job-1', 1, [sourceUploaded()]);
        const error = await store.append('job-1', 1, [sourceStarted()]).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(isConcurrencyError(error), `got ${String(error)}`);
        assert.ok(error instanceof ConcurrencyError);
        assert.equal(error.jobId, 'job-1');
        assert.equal(error.expectedVersion, 1);
        assert.deepEqual(
          (await store.read('job-1')).map((e) => e.type),
          ['JobCreated', 'SourceUploaded'],
        );
        assert.equal((await store.load('job-1'))?.version, 2);
      });

      it('throws ConcurrencyError when creating a stream that already exists', async () => {
        await store.append('job-1', 0, [jobCreated()]);
        await assert.rejects(store.append('job-1', 0, [jobCreated({ owner: 'someone-else' })]), isConcurrencyError);
        assert.equal((await store.load('job-1'))?.owner, 'owner-a');
      });

      it('throws ConcurrencyError for a version ahead of the stream', async () => {
        await store.append('job-1', 0, [jobCreated()]);
        await assert.rejects(store.append('job-1', 5, [sourceUploaded()]), isConcurrencyError);
      });
    });

    describe('when several writers append at the same version at once', () => {
      it('lets exactly one win; the others get ConcurrencyError', async () => {
        // Prepare
        await store.append('job-1', 0, [jobCreated({ sources: ['s1', 's2', 's3', 's4'] })]);
        // Act
        const results = await Promise.allSettled(
          ['s1', 's2', 's3', 's4'].map((sourceId) => store.append('job-1', 1, [sourceUploaded(sourceId)])),
        );
        // Assess
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1);
        assert.equal(lost.length, 3);
        assert.ok(lost.every((r) => isConcurrencyError(r.reason)));
        assert.deepEqual(
          (await store.read('job-1')).map((e) => e.seq),
          [1, 2],
        );
      });
    });

    describe('when a job is loaded', () => {
      it('returns the projection, equal to the fold of its events', async () => {
        await store.append('job-1', 0, [jobCreated({ tags: ['cats', 'dogs'] }), sourceUploaded()]);
        await store.append('job-1', 2, [sourceStarted(), variantWritten('s1', 0)]);
        await store.append('job-1', 4, [sourceCompleted('s1', 1)]);
        const loaded = await store.load('job-1');
        const folded = foldEvents(await store.read('job-1'));
        assert.ok(loaded);
        assert.deepEqual(loaded, asStored(folded));
        assert.equal(loaded.version, 5);
        assert.equal(loaded.status, 'processing');
      });

      it('returns undefined for a job that does not exist, whose stream is empty', async () => {
        assert.equal(await store.load('nope'), undefined);
        assert.deepEqual(await store.read('nope'), []);
      });
    });

    describe('when jobs are queried', () => {
      it('returns the owner’s jobs newest first, and no one else’s', async () => {
        await createJob('job-a', { owner: 'alice' });
        await createJob('job-b', { owner: 'alice' });
        await createJob('job-x', { owner: 'bob' });
        await createJob('job-c', { owner: 'alice' });
        const page = await store.query({ owner: 'alice' });
        assert.deepEqual(
          page.items.map((j) => j.id),
          ['job-c', 'job-b', 'job-a'],
        );
        assert.equal(page.cursor, undefined);
      });

      it('filters by status', async () => {
        await createJob('job-a', { owner: 'alice' });
        await createJob('job-b', { owner: 'alice' });
        await store.append('job-b', 1, [sourceUploaded()]);
        const queued = await store.query({ owner: 'alice', status: 'queued' });
        const created = await store.query({ owner: 'alice', status: 'created' });
        assert.deepEqual(
          queued.items.map((j) => j.id),
          ['job-b'],
        );
        assert.deepEqual(
          created.items.map((j) => j.id),
          ['job-a'],
        );
      });

      it('filters by tag', async () => {
        await createJob('job-a', { owner: 'alice', tags: ['cats'] });
        await createJob('job-b', { owner: 'alice', tags: ['dogs', 'cats'] });
        await createJob('job-c', { owner: 'alice', tags: ['dogs'] });
        const cats = await store.query({ owner: 'alice', tag: 'cats' });
        assert.deepEqual(
          cats.items.map((j) => j.id),
          ['job-b', 'job-a'],
        );
      });

      it('filters by creation time, createdAfter inclusive and createdBefore exclusive', async () => {
        const [a] = await createJob('job-a', { owner: 'alice' });
        const [b] = await createJob('job-b', { owner: 'alice' });
        const [c] = await createJob('job-c', { owner: 'alice' });
        assert.ok(a && b && c);
        const page = await store.query({ owner: 'alice', createdAfter: b.at, createdBefore: c.at });
        const admin = await store.query({ createdAfter: b.at, createdBefore: c.at });
        const backwards = await store.query({ owner: 'alice', createdAfter: c.at, createdBefore: a.at });
        assert.deepEqual(backwards.items, []);
        assert.deepEqual(
          page.items.map((j) => j.id),
          ['job-b'],
        );
        assert.deepEqual(
          admin.items.map((j) => j.id),
          ['job-b'],
        );
      });

      it('pages through every job with a cursor, none twice, and gives no cursor on the last page', async () => {
        for (const id of ['job-1', 'job-2', 'job-3', 'job-4', 'job-5'])
          await createJob(id, { owner: 'alice', tags: ['t'] });
        const pages: string[][] = [];
        let cursor: string | undefined;
        do {
          const page = await store.query({ owner: 'alice', tag: 't', limit: 2, cursor });
          pages.push(page.items.map((j) => j.id));
          cursor = page.cursor;
        } while (cursor && pages.length < 10);
        assert.deepEqual(pages, [['job-5', 'job-4'], ['job-3', 'job-2'], ['job-1']]);
      });

      it('without an owner (admin) returns every owner’s jobs, newest first, paginated', async () => {
        await createJob('job-a', { owner: 'alice' });
        await createJob('job-b', { owner: 'bob' });
        await createJob('job-c', { owner: 'carol' });
        const first = await store.query({ limit: 2 });
        const second = await store.query({ limit: 2, cursor: first.cursor });
        assert.deepEqual(
          first.items.map((j) => j.id),
          ['job-c', 'job-b'],
        );
        assert.deepEqual(
          second.items.map((j) => j.id),
          ['job-a'],
        );
        assert.equal(second.cursor, undefined);
      });

      it('returns whole job states, equal to what load returns', async () => {
        await createJob('job-a', { owner: 'alice', tags: ['x'] });
        const [item] = (await store.query({ owner: 'alice' })).items;
        assert.deepEqual(item, await store.load('job-a'));
      });
    });

    describe('when jobs expire', () => {
      it('lists the ids of jobs whose expiresAt is before now, up to the limit', async () => {
        await createJob('job-old-1', { expiresAt: '2020-01-01T00:00:00.000Z' });
        await createJob('job-old-2', { expiresAt: '2021-06-01T12:00:00.500Z' });
        await createJob('job-new', { expiresAt: '2099-01-01T00:00:00.000Z' });
        await createJob('job-edge', { expiresAt: '2030-01-01T00:00:00.900Z' });
        const expired = await store.expired('2030-01-01T00:00:00.500Z', 10);
        const limited = await store.expired('2030-01-01T00:00:00.500Z', 1);
        assert.deepEqual(expired.sort(), ['job-old-1', 'job-old-2']);
        assert.equal(limited.length, 1);
      });
    });

    describe('when a job is deleted', () => {
      it('removes its stream and its projection from load, read and query', async () => {
        await createJob('job-a', { owner: 'alice' });
        await store.append('job-a', 1, [sourceUploaded()]);
        await createJob('job-b', { owner: 'alice' });
        await store.delete('job-a');
        assert.equal(await store.load('job-a'), undefined);
        assert.deepEqual(await store.read('job-a'), []);
        assert.deepEqual(
          (await store.query({ owner: 'alice' })).items.map((j) => j.id),
          ['job-b'],
        );
      });

      it('lets the id start a new stream at version 0', async () => {
        await createJob('job-a');
        await store.delete('job-a');
        const [created] = await store.append('job-a', 0, [jobCreated({ owner: 'again' })]);
        assert.equal(created?.seq, 1);
        assert.equal((await store.load('job-a'))?.owner, 'again');
      });
    });

    describe('when the store is pinged', () => {
      it('answers true', async () => {
        assert.equal(await store.ping(), true);
      });
    });
  });
};
