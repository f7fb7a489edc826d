import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JobEvent, JobEventBody } from '@delta-augment/core';
import { checkStream } from './invariants.js';

const JOB = 'j_AAAAAAAAAAAAAAAAAAAAAA';
const SOURCE = 's_AAAAAAAAAAAAAAAAAAAAAA';

const created: JobEventBody = {
  type: 'JobCreated',
  data: {
    owner: 'o',
    pipeline: { preset: 'delta-classic', seed: 1 },
    variants: 1,
    tags: [],
    sources: [{ sourceId: SOURCE, name: 'a.jpg', label: '', key: `sources/${JOB}/${SOURCE}/a.jpg` }],
    sourceCount: 1,
    outputs: 1,
    expiresAt: '2999-01-01T00:00:00.000Z',
  },
};
const started: JobEventBody = { type: 'SourceStarted', data: { sourceId: SOURCE, attempt: 1 } };
const deadLettered: JobEventBody = {
  type: 'SourceDeadLettered',
  data: { sourceId: SOURCE, reason: 'after 5 attempts' },
};
const redriven: JobEventBody = { type: 'SourceRedriven', data: { sourceId: SOURCE } };
const completed: JobEventBody = { type: 'SourceCompleted', data: { sourceId: SOURCE, variants: 1 } };
const jobFailed = (reason = 'every source failed'): JobEventBody => ({ type: 'JobFailed', data: { reason } });
const jobCompleted: JobEventBody = { type: 'JobCompleted', data: { variants: 1, failedSources: 0 } };

/** A stream with seqs 1..n unless `seqs` says otherwise. */
const stream = (bodies: readonly JobEventBody[], seqs?: readonly number[]): JobEvent[] =>
  bodies.map(
    (body, i) => ({ ...body, jobId: JOB, seq: seqs?.[i] ?? i + 1, at: '2025-01-01T00:00:00.000Z' }) as JobEvent,
  );

const rules = (events: JobEvent[]) => checkStream(JOB, events).violations.map((v) => v.rule);

describe('the "nothing lost" stream checker', () => {
  it('accepts a job that ran and completed once', () => {
    const report = checkStream(JOB, stream([created, started, completed, jobCompleted]));
    assert.deepEqual(report.violations, []);
    assert.equal(report.open, false);
    assert.equal(report.terminalEvents, 1);
  });

  it('counts a terminal event per open period when a redrive reopens the job', () => {
    const report = checkStream(
      JOB,
      stream([created, started, deadLettered, jobFailed(), redriven, started, completed, jobCompleted]),
    );
    assert.deepEqual(report.violations, []);
    assert.equal(report.periods, 2);
    assert.equal(report.terminalEvents, 2);
  });

  it('reports a gap in the seqs', () => {
    assert.deepEqual(rules(stream([created, started, completed], [1, 2, 4])), ['contiguous']);
  });

  it('reports a stream that does not start with JobCreated', () => {
    assert.deepEqual(rules(stream([started, created])), ['starts-with-created', 'starts-with-created']);
  });

  it('reports a second terminal event in one period', () => {
    assert.deepEqual(rules(stream([created, completed, jobCompleted, jobFailed()])), ['one-terminal-per-period']);
  });

  it('reports work recorded after the terminal event', () => {
    assert.deepEqual(rules(stream([created, deadLettered, jobFailed(), started])), ['event-after-terminal']);
  });

  it('reports a failure without a reason', () => {
    assert.deepEqual(rules(stream([created, deadLettered, jobFailed(' ')])), ['reason']);
  });

  it('reports a job that is still open', () => {
    const report = checkStream(JOB, stream([created, started]));
    assert.equal(report.open, true);
    assert.equal(report.terminalEvents, 0);
  });
});
