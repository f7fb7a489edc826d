import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ConcurrencyError, decideJob, hasIndex, type JobEventBody, newId } from '@delta-augment/core';
import { JobService, loadConfig } from '@delta-augment/ports';
import { localPorts, SqliteJobEventStore } from '@delta-augment/ports/local';
import { gradientJpeg } from '../helpers/images.js';
import { seedJob } from '../helpers/jobs.js';
import { REPO, tempDir, waitFor } from '../helpers/server.js';
import { runToExit, spawnWorker } from './harness.js';
import { assertNothingLost } from './invariants.js';

const RACER = join(REPO, 'tests', 'reliability', 'fixtures', 'append-racer.ts');

const created = (sourceIds: readonly string[], jobId: string): JobEventBody[] =>
  decideJob(
    {
      type: 'CreateJob',
      owner: 'racer',
      pipeline: { preset: 'delta-classic', seed: 1 },
      variants: 1000,
      tags: [],
      sources: sourceIds.map((sourceId) => ({
        sourceId,
        name: 'a.jpg',
        label: '',
        key: `sources/${jobId}/${sourceId}/a.jpg`,
      })),
      expiresAt: '2999-01-01T00:00:00.000Z',
    },
    undefined,
  );

const variantsOf = (events: readonly { type: string; data: unknown }[]): number[] =>
  events.flatMap((e) =>
    e.type === 'VariantsWritten' ? (e.data as { variants: { index: number }[] }).variants.map((v) => v.index) : [],
  );

/** Runs one racer process per source id, all released at the same instant. */
const race = (dataDir: string, jobId: string, sourceIds: readonly string[], perRacer: number) => {
  const startAt = String(Date.now() + 4000);
  return Promise.all(
    sourceIds.map((sourceId) =>
      runToExit(process.execPath, ['--import', 'tsx', RACER, dataDir, jobId, sourceId, String(perRacer), startAt], {}),
    ),
  ).then((runs) =>
    runs.map((run) => {
      assert.equal(run.code, 0, run.output);
      return JSON.parse(run.output.trim().split('\n').at(-1) ?? '{}') as { conflicts: number; indices: number[] };
    }),
  );
};

describe('event store races', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  describe('when two writers append at the same version', () => {
    it('on one source, lets one win and the other fail with a typed conflict, after which it re-reads and re-decides', async () => {
      // Prepare: two connections to one file, as two processes would hold
      const dir = tempDir('delta-race-');
      const a = new SqliteJobEventStore(join(dir, 'events.sqlite'));
      const b = new SqliteJobEventStore(join(dir, 'events.sqlite'));
      cleanup.push(async () => {
        await a.close();
        await b.close();
      });
      const jobId = newId('j');
      const sourceId = newId('s');
      await a.appendToJob(jobId, 0, created([sourceId], jobId));
      const variant = (index: number) =>
        ({
          type: 'VariantsWritten',
          data: { sourceId, variants: [{ index, key: `k${index}`, bytes: 1, operations: [] }] },
        }) as const;
      // Act: both read version 0 of the source and decide index 0
      const [readA, readB] = [await a.loadSource(jobId, sourceId), await b.loadSource(jobId, sourceId)];
      const results = await Promise.allSettled([
        a.appendToSource(jobId, sourceId, readA?.version ?? -1, [variant(0)]),
        b.appendToSource(jobId, sourceId, readB?.version ?? -1, [variant(0)]),
      ]);
      const reread = await b.loadSource(jobId, sourceId);
      let redecided = 0;
      while (reread && hasIndex(reread.written, redecided)) redecided++;
      await b.appendToSource(jobId, sourceId, reread?.version ?? -1, [variant(redecided)]);
      // Assess
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      const loser = results[1];
      assert.ok(loser?.status === 'rejected' && loser.reason instanceof ConcurrencyError);
      const events = await a.read(jobId);
      assert.deepEqual(
        events.map((e) => [e.seq, e.type === 'VariantsWritten' ? e.data.variants[0]?.index : e.type]),
        [
          [1, 'JobCreated'],
          [2, 0],
          [3, 1],
        ],
      );
    });

    it('keeps seqs contiguous and every decision applied once when three processes race on one source', async () => {
      // Prepare
      const dataDir = tempDir('delta-race-');
      const store = new SqliteJobEventStore(join(dataDir, 'events.sqlite'));
      cleanup.push(() => store.close());
      const jobId = newId('j');
      const sourceId = newId('s');
      await store.appendToJob(jobId, 0, created([sourceId], jobId));
      const perRacer = 60;
      // Act: three processes on the same source, each recording "the next free index" 60 times
      const reports = await race(dataDir, jobId, [sourceId, sourceId, sourceId], perRacer);
      // Assess
      const events = await store.read(jobId);
      assert.deepEqual(
        events.map((e) => e.seq),
        Array.from({ length: 1 + 3 * perRacer }, (_, i) => i + 1),
      );
      assert.deepEqual(
        variantsOf(events).sort((x, y) => x - y),
        Array.from({ length: 3 * perRacer }, (_, i) => i),
        'each index decided exactly once',
      );
      assert.deepEqual(
        reports.flatMap((r) => r.indices).sort((x, y) => x - y),
        Array.from({ length: 3 * perRacer }, (_, i) => i),
        'each racer wrote what it decided, and nobody wrote the same index',
      );
      const conflicts = reports.reduce((sum, r) => sum + r.conflicts, 0);
      assert.ok(conflicts > 0, 'the racers did collide (so re-deciding was exercised)');
    });
  });

  describe('when three processes append to different sources of one job at once', () => {
    it('never makes them conflict, and keeps the job’s seqs contiguous and its counters exact', async () => {
      // Prepare
      const dataDir = tempDir('delta-race-');
      const store = new SqliteJobEventStore(join(dataDir, 'events.sqlite'));
      cleanup.push(() => store.close());
      const jobId = newId('j');
      const sources = [newId('s'), newId('s'), newId('s')];
      await store.appendToJob(jobId, 0, created(sources, jobId));
      const perRacer = 60;
      // Act
      const reports = await race(dataDir, jobId, sources, perRacer);
      // Assess
      const events = await store.read(jobId);
      assert.deepEqual(
        events.map((e) => e.seq),
        Array.from({ length: 1 + 3 * perRacer }, (_, i) => i + 1),
      );
      assert.deepEqual(
        reports.map((r) => r.conflicts),
        [0, 0, 0],
      );
      assert.equal((await store.load(jobId))?.counts.variants, 3 * perRacer);
      for (const sourceId of sources) assert.equal((await store.loadSource(jobId, sourceId))?.variants, perRacer);
    });
  });

  describe('when several worker processes update one job at once', () => {
    it('keeps its seqs contiguous and ends it with exactly one terminal event', async () => {
      // Prepare: three real workers, one message each at a time, all up before the upload
      const dataDir = tempDir('delta-race-');
      const ports = localPorts(loadConfig({ DATA_DIR: dataDir }));
      cleanup.push(() => ports.close());
      const env = { BATCH_SIZE: '1', WORKER_CONCURRENCY: '1' };
      const workers = await Promise.all([1, 2, 3].map(() => spawnWorker(dataDir, { env })));
      cleanup.push(async () => {
        for (const w of workers) await w.kill9();
      });
      const jobs = new JobService(ports.events, ports.bus);
      const image = await gradientJpeg(300, 200);
      // Act
      const { jobId } = await seedJob(
        { jobs, ports },
        Array.from({ length: 6 }, (_, i) => ({ name: `img-${i}.jpg`, data: image, label: i % 2 ? 'odd' : 'even' })),
        { variants: 3 },
      );
      const state = await waitFor(
        async () => {
          const s = await jobs.load(jobId);
          return s?.status === 'completed' || s?.status === 'failed' ? s : undefined;
        },
        60_000,
        'the job to end',
      );
      // Assess
      assert.equal(state.status, 'completed');
      const events = await ports.events.read(jobId);
      assert.equal(events.filter((e) => e.type === 'JobCompleted').length, 1);
      assert.equal(variantsOf(events).length, 18);
      const firstCompleted = events.findIndex((e) => e.type === 'SourceCompleted');
      const startedBefore = new Set(
        events.slice(0, firstCompleted).flatMap((e) => (e.type === 'SourceStarted' ? [e.data.sourceId] : [])),
      );
      assert.ok(startedBefore.size >= 2, 'several sources were in progress at once');
      await assertNothingLost({ events: ports.events, queue: ports.queue, jobIds: [jobId], requireTerminal: true });
    });
  });
});
