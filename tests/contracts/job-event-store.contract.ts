import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ConcurrencyError, isConcurrencyError } from '../../packages/core/src/errors.js';
import { decideJob } from '../../packages/core/src/jobs/decide.js';
import { SOURCES_PER_EVENT, SOURCES_PER_EXPANSION_STEP } from '../../packages/core/src/jobs/events.js';
import { foldJob, needsFinalising } from '../../packages/core/src/jobs/state.js';
import type { JobEventStore } from '../../packages/ports/src/job-event-store/port.js';
import type { TestClock } from './helpers/clock.js';
import { awaitingZip, firstSteps, namedTwice, zipImages } from './helpers/dataset-expansion.js';
import { jobCreated, sourceCompleted, sourceStarted, sourceUploaded, variantsWritten } from './helpers/job-events.js';

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
      return (await store.appendToJob(jobId, 0, [jobCreated(options)])).events;
    };

    describe('when a job is created', () => {
      it('numbers its events 1, 2, 3 with the job id and the append time, and reads them back in order', async () => {
        // Prepare
        const at = new Date(fx.clock.now()).toISOString();
        // Act
        const { events } = await store.appendToJob('job-1', 0, [jobCreated(), sourceUploaded()]);
        const read = await store.read('job-1');
        // Assess
        assert.deepEqual(
          events.map((e) => [e.jobId, e.seq, e.type]),
          [
            ['job-1', 1, 'JobCreated'],
            ['job-1', 2, 'SourceUploaded'],
          ],
        );
        assert.ok(events.every((e) => Date.parse(e.at) >= Date.parse(at) - 1000));
        assert.deepEqual(read, events);
      });

      it('keeps one record per source, in the state its creation events leave it', async () => {
        await store.appendToJob('job-1', 0, [jobCreated({ sources: ['s1', 's2'] }), sourceUploaded('s2')]);
        const s1 = await store.loadSource('job-1', 's1');
        const s2 = await store.loadSource('job-1', 's2');
        assert.equal(s1?.status, 'pending');
        assert.equal(s2?.status, 'uploaded');
        assert.equal(s2?.version, 1);
        assert.equal(await store.loadSource('job-1', 'nope'), undefined);
      });

      it('refuses an empty append', async () => {
        await assert.rejects(store.appendToJob('job-1', 0, []));
        assert.deepEqual(await store.read('job-1'), []);
      });

      it('throws ConcurrencyError when creating a job that already exists', async () => {
        await store.appendToJob('job-1', 0, [jobCreated()]);
        await assert.rejects(
          store.appendToJob('job-1', 0, [jobCreated({ owner: 'someone-else' })]),
          isConcurrencyError,
        );
        assert.equal((await store.load('job-1'))?.owner, 'owner-a');
      });
    });

    describe('when a source appends at its current version', () => {
      it('takes the next seqs of the job, and read after a seq returns only later events', async () => {
        await store.appendToJob('job-1', 0, [jobCreated()]);
        await store.appendToSource('job-1', 's1', 0, [sourceUploaded(), sourceStarted()]);
        const { events, source, job } = await store.appendToSource('job-1', 's1', 2, [variantsWritten('s1', [0, 1])]);
        const later = await store.read('job-1', 2);
        assert.deepEqual(
          events.map((e) => e.seq),
          [4],
        );
        assert.equal(source.version, 3);
        assert.equal(job.version, 4);
        assert.deepEqual(job.counts, { uploaded: 1, started: 1, settled: 0, failed: 0, variants: 2, bytes: 1998 });
        assert.deepEqual(
          later.map((e) => [e.seq, e.type]),
          [
            [3, 'SourceStarted'],
            [4, 'VariantsWritten'],
          ],
        );
      });

      it('reads a page of at most `limit` events', async () => {
        await store.appendToJob('job-1', 0, [jobCreated()]);
        await store.appendToSource('job-1', 's1', 0, [sourceUploaded(), sourceStarted()]);
        const page = await store.read('job-1', 1, 1);
        assert.deepEqual(
          page.map((e) => e.seq),
          [2],
        );
      });
    });

    describe('when a source appends at a stale version', () => {
      it('throws the shared ConcurrencyError and leaves the stream and the records as they were', async () => {
        await store.appendToJob('job-1', 0, [jobCreated()]);
        await store.appendToSource('job-1', 's1', 0, [sourceUploaded()]);
        const error = await store.appendToSource('job-1', 's1', 0, [sourceStarted()]).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(isConcurrencyError(error), `got ${String(error)}`);
        assert.ok(error instanceof ConcurrencyError);
        assert.equal(error.jobId, 'job-1');
        assert.equal(error.expectedVersion, 0);
        assert.deepEqual(
          (await store.read('job-1')).map((e) => e.type),
          ['JobCreated', 'SourceUploaded'],
        );
        assert.equal((await store.load('job-1'))?.version, 2);
        assert.equal((await store.load('job-1'))?.counts.started, 0);
        assert.equal((await store.loadSource('job-1', 's1'))?.version, 1);
      });

      it('lets exactly one of several writers of the same source win', async () => {
        await store.appendToJob('job-1', 0, [jobCreated()]);
        const results = await Promise.allSettled(
          [1, 2, 3, 4].map((attempt) => store.appendToSource('job-1', 's1', 0, [sourceStarted('s1', attempt)])),
        );
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(lost.length, 3);
        assert.ok(lost.every((r) => isConcurrencyError(r.reason)));
        assert.deepEqual(
          (await store.read('job-1')).map((e) => e.seq),
          [1, 2],
        );
      });
    });

    describe('when the sources of one job append at once', () => {
      it('lets every one of them succeed, with gap-free seqs and counters that add up', async () => {
        // Prepare
        const ids = ['s1', 's2', 's3', 's4', 's5', 's6'];
        await store.appendToJob('job-1', 0, [jobCreated({ sources: ids })]);
        // Act
        const results = await Promise.allSettled(
          ids.map((id) => store.appendToSource('job-1', id, 0, [sourceStarted(id), variantsWritten(id, [0, 1])])),
        );
        // Assess
        assert.deepEqual(
          results.map((r) => r.status),
          ids.map(() => 'fulfilled'),
        );
        const events = await store.read('job-1');
        assert.deepEqual(
          events.map((e) => e.seq),
          Array.from({ length: 13 }, (_, i) => i + 1),
        );
        const job = await store.load('job-1');
        assert.deepEqual(job?.counts, { uploaded: 0, started: 6, settled: 0, failed: 0, variants: 12, bytes: 11988 });
        assert.equal(job?.version, 13);
      });
    });

    describe('when a job-level event is appended', () => {
      it('is conditioned on the job’s last seq: any append in between makes it a ConcurrencyError', async () => {
        await store.appendToJob('job-1', 0, [jobCreated()]);
        await store.appendToSource('job-1', 's1', 0, [sourceStarted(), variantsWritten(), sourceCompleted()]);
        await store.appendToSource('job-1', 's1', 3, [{ type: 'SourceRedriven', data: { sourceId: 's1' } }]);
        await assert.rejects(
          store.appendToJob('job-1', 4, [{ type: 'JobFailed', data: { reason: 'late' } }]),
          isConcurrencyError,
        );
        const { job } = await store.appendToJob('job-1', 5, [{ type: 'JobFailed', data: { reason: 'now' } }]);
        assert.equal(job.status, 'failed');
        assert.equal((await store.load('job-1'))?.failure, 'now');
      });
    });

    describe('when a job is loaded', () => {
      it('returns the job record and source records, equal to the fold of its events', async () => {
        await store.appendToJob('job-1', 0, [jobCreated({ tags: ['cats', 'dogs'], sources: ['s1', 's2'] })]);
        await store.appendToSource('job-1', 's1', 0, [sourceUploaded(), sourceStarted(), variantsWritten('s1', [0])]);
        await store.appendToSource('job-1', 's2', 0, [sourceStarted('s2'), variantsWritten('s2', [0, 1])]);
        await store.appendToSource('job-1', 's1', 3, [sourceCompleted('s1', 1)]);
        const folded = foldJob(await store.read('job-1'));
        const loaded = await store.load('job-1');
        assert.ok(loaded && folded);
        assert.deepEqual(loaded, asStored(folded.job));
        assert.deepEqual(await store.loadSource('job-1', 's1'), asStored(folded.sources.get('s1')));
        assert.deepEqual(await store.loadSource('job-1', 's2'), asStored(folded.sources.get('s2')));
        assert.equal(loaded.version, 7);
        assert.equal(loaded.status, 'processing');
        assert.deepEqual(loaded.counts, { uploaded: 1, started: 2, settled: 1, failed: 0, variants: 3, bytes: 2997 });
      });

      it('returns undefined for a job that does not exist, whose stream is empty', async () => {
        assert.equal(await store.load('nope'), undefined);
        assert.deepEqual(await store.read('nope'), []);
      });
    });

    describe('when a job has more sources than one event names', () => {
      it('records them in chunks and pages through all of them, each once', async () => {
        // Prepare
        const ids = Array.from({ length: SOURCES_PER_EVENT * 2 + 7 }, (_, i) => `s${String(i).padStart(4, '0')}`);
        const sources = ids.map((sourceId) => ({
          sourceId,
          name: `${sourceId}.jpg`,
          label: 'cats',
          key: `k/${sourceId}`,
        }));
        const bodies = decideJob(
          {
            type: 'CreateJob',
            owner: 'alice',
            pipeline: { seed: 1 },
            variants: 20,
            tags: [],
            sources,
            expiresAt: '2099-01-01T00:00:00.000Z',
          },
          undefined,
        );
        // Act
        const { events } = await store.appendToJob('job-big', 0, bodies);
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.sources('job-big', { limit: 150, cursor });
          seen.push(...page.items.map((s) => s.sourceId));
          cursor = page.cursor;
        } while (cursor);
        // Assess
        assert.deepEqual(
          events.map((e) => e.type),
          ['JobCreated', 'SourcesAdded', 'SourcesAdded'],
        );
        assert.deepEqual([...seen].sort(), ids);
        assert.equal((await store.load('job-big'))?.sourceCount, ids.length);
        assert.ok(events.every((e) => JSON.stringify(e).length < 64 * 1024));
      });
    });

    describe('when a dataset expansion records more sources than one DynamoDB transaction holds', () => {
      const COUNT = SOURCES_PER_EXPANSION_STEP * 3 + 10;
      const images = zipImages('job-zip', COUNT);
      const expand = async () => {
        const job = await store.load('job-zip');
        const bodies = decideJob({ type: 'ExpandDataset', sources: images }, job);
        return bodies.length === 0 ? [] : (await store.appendToJob('job-zip', job?.version ?? 0, bodies)).events;
      };
      const allSources = async () => {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.sources('job-zip', { limit: 100, cursor });
          seen.push(...page.items.map((s) => s.sourceId));
          cursor = page.cursor;
        } while (cursor);
        return seen;
      };

      it('records every source once, uploaded, with gap-free seqs and DatasetExpanded last', async () => {
        // Prepare
        await store.appendToJob('job-zip', 0, [awaitingZip('job-zip')]);
        // Act
        const events = await expand();
        // Assess
        const read = await store.read('job-zip');
        assert.deepEqual(
          read.map((e) => e.seq),
          read.map((_, i) => i + 1),
        );
        assert.equal(read.length, 1 + 4 + COUNT + 1);
        assert.equal(events.at(-1)?.type, 'DatasetExpanded');
        assert.deepEqual((await allSources()).sort(), images.map((i) => i.sourceId).sort());
        const job = await store.load('job-zip');
        assert.equal(job?.sourceCount, COUNT);
        assert.equal(job?.counts.uploaded, COUNT);
        assert.equal(job?.status, 'queued');
        assert.equal(job?.expandedSources, undefined);
        assert.deepEqual(job, asStored(foldJob(read)?.job));
        assert.equal((await store.loadSource('job-zip', images[COUNT - 1]?.sourceId ?? ''))?.status, 'uploaded');
      });

      it('resumes an expansion stopped between two steps: nothing duplicated, nothing lost, nothing decided early', async () => {
        // Prepare: the first two steps are stored, as by a worker killed before the third
        await store.appendToJob('job-zip', 0, [awaitingZip('job-zip')]);
        const all = decideJob({ type: 'ExpandDataset', sources: images }, await store.load('job-zip'));
        await store.appendToJob('job-zip', 1, firstSteps(all, 2));
        const cut = await store.load('job-zip');
        assert.equal(cut?.expandedSources, SOURCES_PER_EXPANSION_STEP * 2);
        assert.equal(cut?.sourceCount, 0, 'the job counts no source before DatasetExpanded');
        assert.equal(cut && needsFinalising(cut), false);
        // Act: the redelivered message decides again from the stored job record, twice
        await expand();
        const again = await expand();
        // Assess
        const read = await store.read('job-zip');
        assert.deepEqual(again, []);
        assert.deepEqual(namedTwice(read), []);
        assert.equal(read.filter((e) => e.type === 'SourceUploaded').length, COUNT);
        assert.equal(read.filter((e) => e.type === 'DatasetExpanded').length, 1);
        assert.deepEqual(
          read.map((e) => e.seq),
          read.map((_, i) => i + 1),
        );
        assert.deepEqual((await allSources()).sort(), images.map((i) => i.sourceId).sort());
        const job = await store.load('job-zip');
        assert.equal(job?.sourceCount, COUNT);
        assert.equal(job?.counts.uploaded, COUNT);
        assert.deepEqual(job, asStored(foldJob(read)?.job));
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
        await store.appendToSource('job-b', 's1', 0, [sourceUploaded()]);
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
      it('removes its stream and its records from load, loadSource, read and query', async () => {
        await createJob('job-a', { owner: 'alice' });
        await store.appendToSource('job-a', 's1', 0, [sourceUploaded()]);
        await createJob('job-b', { owner: 'alice' });
        await store.delete('job-a');
        assert.equal(await store.load('job-a'), undefined);
        assert.equal(await store.loadSource('job-a', 's1'), undefined);
        assert.deepEqual(await store.read('job-a'), []);
        assert.deepEqual(
          (await store.query({ owner: 'alice' })).items.map((j) => j.id),
          ['job-b'],
        );
      });

      it('lets the id start a new stream at version 0', async () => {
        await createJob('job-a');
        await store.delete('job-a');
        const [created] = (await store.appendToJob('job-a', 0, [jobCreated({ owner: 'again' })])).events;
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
