import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideComplete,
  decideCreate,
  decideDeadLetter,
  decideFailure,
  decideFinalise,
  decideRedrive,
  decideStart,
  decideUpload,
  decideVariant,
  foldEvents,
  type JobEvent,
  type JobEventBody,
  type JobState,
  progressOf,
} from '@delta-augment/core';

const AT = '2026-01-01T00:00:00.000Z';

/** Appends decided bodies to a stream the way a store would: contiguous seqs. */
const apply = (events: JobEvent[], bodies: readonly JobEventBody[]): JobEvent[] => [
  ...events,
  ...bodies.map((b, i) => ({ ...b, jobId: 'j1', seq: events.length + i + 1, at: AT }) as JobEvent),
];

const created = (sources = ['s1']): JobEvent[] =>
  apply(
    [],
    decideCreate(undefined, {
      owner: 'alice',
      pipeline: { preset: 'delta-classic', seed: 1 },
      variants: 2,
      tags: ['cats'],
      sources: sources.map((id) => ({ sourceId: id, name: `${id}.jpg`, label: '', key: `sources/j1/${id}/${id}.jpg` })),
      expiresAt: AT,
    }),
  );

const stateOf = (events: JobEvent[]): JobState => {
  const state = foldEvents(events);
  assert.ok(state);
  return state;
};

const upload = { bytes: 10, format: 'jpeg', width: 4, height: 3 };
const variant = (sourceId: string, index: number) => ({ sourceId, index, key: `k${index}`, bytes: 5, operations: [] });

describe('a job stream', () => {
  it('is created once: creating an existing job decides nothing', () => {
    const events = created();
    assert.equal(stateOf(events).status, 'created');
    assert.deepEqual(
      decideCreate(stateOf(events), {
        owner: 'x',
        pipeline: { seed: 1 },
        variants: 1,
        tags: [],
        sources: [],
        expiresAt: AT,
      }),
      [],
    );
  });

  it('is queued once every source is uploaded, and processing once one starts', () => {
    let events = created(['s1', 's2']);
    events = apply(events, decideUpload(stateOf(events), { sourceId: 's1', ...upload }));
    assert.equal(stateOf(events).status, 'created');
    events = apply(events, decideUpload(stateOf(events), { sourceId: 's2', ...upload }));
    assert.equal(stateOf(events).status, 'queued');
    events = apply(events, decideStart(stateOf(events), 's1', 1));
    assert.equal(stateOf(events).status, 'processing');
  });

  it('records each variant once, however often it is written', () => {
    let events = created();
    events = apply(events, decideVariant(stateOf(events), variant('s1', 0)));
    assert.deepEqual(decideVariant(stateOf(events), variant('s1', 0)), []);
    assert.deepEqual(progressOf(stateOf(events)), { done: 1, total: 2 });
  });

  it('records the same attempt of a source start only once', () => {
    let events = created();
    events = apply(events, decideStart(stateOf(events), 's1', 1));
    assert.deepEqual(decideStart(stateOf(events), 's1', 1), []);
    assert.equal(decideStart(stateOf(events), 's1', 2).length, 1);
  });

  it('completes with an archive when every source is settled and one completed', () => {
    let events = created(['s1', 's2']);
    events = apply(events, decideVariant(stateOf(events), variant('s1', 0)));
    events = apply(events, decideComplete(stateOf(events), 's1'));
    assert.deepEqual(decideFinalise(stateOf(events), { key: 'a', bytes: 1, count: 1 }), []);
    events = apply(
      events,
      decideFailure(stateOf(events), { sourceId: 's2', reason: 'corrupt', attempt: 1, final: true }),
    );
    events = apply(events, decideFinalise(stateOf(events), { key: 'a', bytes: 1, count: 1 }));
    const state = stateOf(events);
    assert.equal(state.status, 'completed');
    assert.deepEqual(events.at(-1)?.data, { variants: 1, failedSources: 1 });
    assert.deepEqual(decideFinalise(state, { key: 'a', bytes: 1, count: 1 }), []);
  });

  it('fails with the reasons when every source failed', () => {
    let events = created();
    events = apply(
      events,
      decideFailure(stateOf(events), { sourceId: 's1', reason: 'not an image', attempt: 1, final: true }),
    );
    events = apply(events, decideFinalise(stateOf(events), undefined));
    assert.equal(stateOf(events).status, 'failed');
    assert.match(stateOf(events).failure ?? '', /not an image/);
  });

  it('keeps a retryable failure open and settles a dead-lettered source', () => {
    let events = created();
    events = apply(
      events,
      decideFailure(stateOf(events), { sourceId: 's1', reason: 'disk', attempt: 1, final: false }),
    );
    assert.equal(stateOf(events).sources[0]?.status, 'pending');
    events = apply(events, decideDeadLetter(stateOf(events), 's1', 'after 5 attempts: disk'));
    assert.equal(stateOf(events).sources[0]?.status, 'dead-lettered');
  });

  it('queues a dead-lettered source again when it is redriven', () => {
    let events = created();
    events = apply(events, decideDeadLetter(stateOf(events), 's1', 'x'));
    events = apply(events, decideFinalise(stateOf(events), undefined));
    assert.equal(stateOf(events).status, 'failed');
    events = apply(events, decideRedrive(stateOf(events), 's1'));
    assert.equal(stateOf(events).status, 'queued');
    assert.deepEqual(decideRedrive(stateOf(events), 's1'), []);
  });
});
