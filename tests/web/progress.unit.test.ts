import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  announcementFor,
  applyEvent,
  fractionOf,
  statusText,
  type TrackedJob,
  track,
  variantIndicesOf,
  withView,
} from '../../apps/web/src/progress.js';
import type { JobEventMessage, JobView } from '../../apps/web/src/types.js';

const JOB = 'j_test';
const viewOf = (overrides: Partial<JobView> = {}): JobView => ({
  id: JOB,
  status: 'queued',
  progress: { done: 0, total: 4 },
  sources: [
    { sourceId: 's_a', name: 'a.jpg', label: '', status: 'uploaded', variants: 0 },
    { sourceId: 's_b', name: 'b.jpg', label: '', status: 'uploaded', variants: 0 },
  ],
  tags: [],
  variantsPerSource: 2,
  pipeline: { preset: 'delta-classic', seed: 1 },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

let seq = 0;
const event = (type: string, data: Record<string, unknown> = {}): JobEventMessage => ({
  type,
  jobId: JOB,
  seq: ++seq,
  at: '2026-01-01T00:00:01.000Z',
  data,
});
const fold = (job: TrackedJob, events: JobEventMessage[]): TrackedJob => events.reduce(applyEvent, job);

describe('progress of a tracked job', () => {
  describe('when its sources start and write variants', () => {
    it('moves from queued to "Processing n of N" to done, counting each variant once', () => {
      // Prepare
      seq = 0;
      const job = track(viewOf());
      const started = fold(job, [event('SourceStarted', { sourceId: 's_a', attempt: 1 })]);
      // Act
      const written = fold(started, [
        event('VariantsWritten', {
          sourceId: 's_a',
          variants: [{ index: 1, key: 'r/1.jpg', bytes: 1, operations: [] }],
        }),
        event('VariantsWritten', {
          sourceId: 's_a',
          variants: [{ index: 0, key: 'r/0.jpg', bytes: 1, operations: [] }],
        }),
      ]);
      const replayed = applyEvent(written, {
        ...event('VariantsWritten', {
          sourceId: 's_a',
          variants: [{ index: 0, key: 'r/0.jpg', bytes: 1, operations: [] }],
        }),
        seq: 2,
      });
      const done = fold(written, [
        event('SourceCompleted', { sourceId: 's_a' }),
        event('SourceStarted', { sourceId: 's_b', attempt: 1 }),
        event('VariantsWritten', {
          sourceId: 's_b',
          variants: [{ index: 0, key: 'r/0.jpg', bytes: 1, operations: [] }],
        }),
        event('VariantsWritten', {
          sourceId: 's_b',
          variants: [{ index: 1, key: 'r/1.jpg', bytes: 1, operations: [] }],
        }),
        event('SourceCompleted', { sourceId: 's_b' }),
        event('ArchiveWritten', { key: 'k', bytes: 2048, count: 4 }),
        event('JobCompleted', { variants: 4, failedSources: 0 }),
      ]);
      // Assess
      assert.equal(statusText(job.view), 'Queued');
      assert.equal(statusText(started.view), 'Processing 0 of 4');
      assert.equal(statusText(written.view), 'Processing 2 of 4');
      assert.equal(replayed, written, 'an event at or below the last seq changes nothing');
      assert.deepEqual(written.variantIndices, { s_a: [0, 1] });
      assert.equal(fractionOf(written.view), 0.5);
      assert.equal(done.view.status, 'completed');
      assert.equal(statusText(done.view), 'Done: 4 variants');
      assert.deepEqual(done.view.archive, { bytes: 2048, count: 4 });
      assert.equal(done.lastSeq, seq);
    });
  });

  describe('when the job fails', () => {
    it('says why, from the job failure or else from the failed source', () => {
      // Prepare
      seq = 0;
      const job = track(viewOf());
      // Act
      const sourceFailed = fold(job, [
        event('SourceStarted', { sourceId: 's_a', attempt: 1 }),
        event('SourceFailed', { sourceId: 's_a', reason: 'not an image', attempt: 1, final: true }),
      ]);
      const jobFailed = fold(sourceFailed, [event('JobFailed', { reason: 'every source failed' })]);
      // Assess
      assert.equal(sourceFailed.view.sources[0]?.status, 'failed');
      assert.equal(sourceFailed.view.sources[0]?.failure, 'not an image');
      assert.equal(statusText(jobFailed.view), 'Failed: every source failed');
      assert.equal(
        statusText(viewOf({ status: 'failed', sources: sourceFailed.view.sources })),
        'Failed: not an image',
      );
    });

    it('keeps a retryable source failure as a reason without settling the source', () => {
      // Prepare
      seq = 0;
      const job = fold(track(viewOf()), [event('SourceStarted', { sourceId: 's_a', attempt: 1 })]);
      // Act
      const retried = applyEvent(
        job,
        event('SourceFailed', { sourceId: 's_a', reason: 'timeout', attempt: 1, final: false }),
      );
      // Assess
      assert.equal(retried.view.sources[0]?.status, 'processing');
      assert.equal(retried.view.status, 'processing');
    });
  });

  describe('when a fresher JobView arrives from the API', () => {
    it('takes it, unless it is older than the events already folded in', () => {
      // Prepare
      seq = 0;
      const job = fold(track(viewOf()), [
        event('SourceStarted', { sourceId: 's_a', attempt: 1 }),
        event('VariantsWritten', {
          sourceId: 's_a',
          variants: [{ index: 0, key: 'r/0.jpg', bytes: 1, operations: [] }],
        }),
      ]);
      // Act
      const stale = withView(job, viewOf({ version: 1 }));
      const fresh = withView(job, viewOf({ version: 9, status: 'processing', progress: { done: 3, total: 4 } }));
      // Assess
      assert.equal(stale, job);
      assert.equal(fresh.view.progress.done, 3);
      assert.deepEqual(fresh.variantIndices, { s_a: [0] }, 'the indices seen live are kept');
    });
  });

  describe('when listing the variants a gallery can show', () => {
    it('uses the indices seen live, else 0..n-1 from the count', () => {
      // Prepare
      const source = { sourceId: 's_a', name: 'a.jpg', label: '', status: 'completed' as const, variants: 3 };
      const live = { ...track(viewOf()), variantIndices: { s_a: [0, 2, 5] } };
      // Act
      const fromEvents = variantIndicesOf(live, source);
      const fromCount = variantIndicesOf(track(viewOf()), source);
      // Assess
      assert.deepEqual(fromEvents, [0, 2, 5]);
      assert.deepEqual(fromCount, [0, 1, 2]);
    });
  });
});

describe('announcements for screen readers', () => {
  it('speaks on every status change and at each quarter of the progress, not on every variant', () => {
    // Prepare
    const at = (status: JobView['status'], done: number) =>
      viewOf({ status, progress: { done, total: 8 }, variantsPerSource: 4 });
    // Act
    const first = announcementFor(undefined, at('queued', 0));
    const started = announcementFor(at('queued', 0), at('processing', 0));
    const small = announcementFor(at('processing', 0), at('processing', 1));
    const quarter = announcementFor(at('processing', 1), at('processing', 2));
    const done = announcementFor(at('processing', 8), at('completed', 8));
    // Assess
    assert.equal(first, 'a.jpg + 1 more: Queued');
    assert.equal(started, 'a.jpg + 1 more: Processing 0 of 8');
    assert.equal(small, undefined);
    assert.equal(quarter, 'a.jpg + 1 more: Processing 2 of 8');
    assert.equal(done, 'a.jpg + 1 more: Done: 8 variants');
  });
});
