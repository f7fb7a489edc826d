import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  countsDelta,
  foldJob,
  hasIndex,
  indicesOf,
  type JobEvent,
  type JobEventBody,
  withIndices,
} from '@delta-augment/core';

const stream = (bodies: readonly JobEventBody[]): JobEvent[] =>
  bodies.map((body, i) => ({ ...body, jobId: 'j', seq: i + 1, at: '2026-01-01T00:00:00.000Z' }) as JobEvent);

const ref = (sourceId: string) => ({ sourceId, name: `${sourceId}.jpg`, label: '', key: `k/${sourceId}` });
const created: JobEventBody = {
  type: 'JobCreated',
  data: {
    owner: 'o',
    pipeline: { seed: 1 },
    variants: 3,
    tags: [],
    sources: [ref('a')],
    sourceCount: 2,
    outputs: 6,
    expiresAt: '2099-01-01T00:00:00.000Z',
  },
};
const addedB: JobEventBody = { type: 'SourcesAdded', data: { sources: [ref('b')] } };
const written = (sourceId: string, ...indices: number[]): JobEventBody => ({
  type: 'VariantsWritten',
  data: { sourceId, variants: indices.map((index) => ({ index, key: `r/${index}.png`, bytes: 1, operations: [] })) },
});

describe('folding a job from its events', () => {
  it('rebuilds the job record and each source record from the stream alone', () => {
    // Prepare
    const events = stream([
      created,
      addedB,
      { type: 'SourceStarted', data: { sourceId: 'a', attempt: 1 } },
      written('a', 0, 2),
      { type: 'SourceStarted', data: { sourceId: 'b', attempt: 1 } },
      { type: 'SourceDeadLettered', data: { sourceId: 'b', reason: 'gone' } },
      written('a', 1),
      { type: 'SourceCompleted', data: { sourceId: 'a', variants: 3 } },
    ]);
    // Act
    const folded = foldJob(events);
    // Assess
    assert.ok(folded);
    assert.deepEqual(folded.job.counts, { uploaded: 0, started: 2, settled: 2, failed: 1, variants: 3, bytes: 3 });
    assert.equal(folded.job.status, 'processing');
    assert.equal(folded.job.version, 8);
    assert.equal(folded.sources.get('a')?.status, 'completed');
    assert.equal(folded.sources.get('a')?.ext, 'png');
    assert.deepEqual(indicesOf(folded.sources.get('a')?.written ?? ''), [0, 1, 2]);
    assert.equal(folded.sources.get('b')?.status, 'dead-lettered');
  });

  it('gives the same counts whatever order the sources’ events interleave in (they commute)', () => {
    const bodies: JobEventBody[] = [
      { type: 'SourceStarted', data: { sourceId: 'a', attempt: 1 } },
      written('a', 0),
      { type: 'SourceStarted', data: { sourceId: 'b', attempt: 1 } },
      written('b', 0, 1),
      { type: 'SourceCompleted', data: { sourceId: 'b', variants: 2 } },
    ];
    const forward = foldJob(stream([created, addedB, ...bodies]));
    const reversed = foldJob(stream([created, addedB, ...[...bodies].reverse()]));
    assert.deepEqual(forward?.job.counts, { uploaded: 0, started: 2, settled: 1, failed: 0, variants: 3, bytes: 3 });
    assert.deepEqual(reversed?.job.counts, forward?.job.counts);
  });

  it('reopens a finished job when one of its sources is redriven', () => {
    const folded = foldJob(
      stream([
        created,
        addedB,
        { type: 'SourceCompleted', data: { sourceId: 'a', variants: 0 } },
        { type: 'SourceDeadLettered', data: { sourceId: 'b', reason: 'x' } },
        { type: 'JobFailed', data: { reason: 'x' } },
        { type: 'SourceRedriven', data: { sourceId: 'b' } },
      ]),
    );
    assert.equal(folded?.job.status, 'processing');
    assert.equal(folded?.job.failure, undefined);
    assert.deepEqual(folded?.job.counts, { uploaded: 0, started: 0, settled: 1, failed: 0, variants: 0, bytes: 0 });
    assert.equal(folded?.sources.get('b')?.status, 'uploaded');
  });

  it('counts a retryable failure as nothing and a final one as settled and failed', () => {
    const retry = countsDelta({ type: 'SourceFailed', data: { sourceId: 'a', reason: 'x', attempt: 1, final: false } });
    const final = countsDelta({ type: 'SourceFailed', data: { sourceId: 'a', reason: 'x', attempt: 1, final: true } });
    assert.equal(retry.settled + retry.failed, 0);
    assert.deepEqual([final.settled, final.failed], [1, 1]);
  });
});

describe('the variant index set', () => {
  it('holds indices as a compact hex bitmap', () => {
    const bits = withIndices('', [0, 5, 9999]);
    assert.ok(hasIndex(bits, 0) && hasIndex(bits, 5) && hasIndex(bits, 9999));
    assert.ok(!hasIndex(bits, 1) && !hasIndex(bits, 10_000));
    assert.deepEqual(indicesOf(bits), [0, 5, 9999]);
    assert.equal(bits.length, 2500);
  });
});
