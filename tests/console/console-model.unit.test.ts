import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuotaOverrides } from '@delta-augment/ports';
import { QueueHistory } from '../../packages/gateway/src/console/queue-history.js';
import { checkQuota, limitsFor, quotaMessage, utcDay } from '../../packages/gateway/src/console/quotas.js';
import { RingBuffer } from '../../packages/gateway/src/console/ring-buffer.js';
import { Throughput } from '../../packages/gateway/src/console/throughput.js';

const T0 = Date.parse('2026-11-29T10:00:00.000Z');
const reading = (name: string, visible: number) => ({
  name,
  visible,
  inFlight: 1,
  delayed: 0,
  oldestAgeSeconds: visible,
});

describe('RingBuffer', () => {
  it('keeps only the newest items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    assert.deepEqual(ring.toArray(), [3, 4, 5]);
    assert.equal(ring.length, 3);
  });

  it('reads a partly filled buffer in push order', () => {
    const ring = new RingBuffer<string>(4);
    ring.push('a');
    ring.push('b');
    assert.deepEqual(ring.toArray(), ['a', 'b']);
  });
});

describe('QueueHistory', () => {
  it('keeps one hour of samples per queue and no more', () => {
    // Prepare: a sample every 10 s for 2 hours
    const history = new QueueHistory({ intervalMs: 10_000, windowMs: 3_600_000 });
    for (let i = 0; i < 720; i++) history.record(T0 + i * 10_000, [reading('uploads', i), reading('uploads-dlq', 0)]);
    // Act
    const now = T0 + 719 * 10_000;
    const snapshot = history.snapshot(now);
    // Assess: 360 samples, the newest last, none older than the window
    assert.equal(snapshot.uploads?.length, 360);
    assert.equal(snapshot.uploads?.at(-1)?.visible, 719);
    assert.equal(snapshot.uploads?.[0]?.visible, 360);
    assert.ok(snapshot.uploads?.every((s) => s.at >= now - 3_600_000));
    assert.equal(snapshot['uploads-dlq']?.length, 360);
  });

  it('leaves out samples older than the window when sampling stopped for a while', () => {
    const history = new QueueHistory({ intervalMs: 10_000, windowMs: 60_000 });
    history.record(T0, [reading('uploads', 1)]);
    history.record(T0 + 120_000, [reading('uploads', 2)]);
    assert.deepEqual(
      history.snapshot(T0 + 120_000).uploads?.map((s) => s.visible),
      [2],
    );
  });
});

describe('Throughput', () => {
  it('counts work per minute bucket and fills quiet minutes with zeros', () => {
    const throughput = new Throughput(60_000, 5 * 60_000);
    throughput.record('jobsStarted', 1, T0 + 5_000);
    throughput.record('variants', 20, T0 + 10_000);
    throughput.record('variants', 30, T0 + 50_000);
    throughput.record('jobsCompleted', 1, T0 + 3 * 60_000 + 1);
    const buckets = throughput.snapshot(T0 + 4 * 60_000);
    assert.deepEqual(
      buckets.map((b) => [b.at - T0, b.variants, b.jobsStarted, b.jobsCompleted]),
      [
        [0, 50, 1, 0],
        [60_000, 0, 0, 0],
        [120_000, 0, 0, 0],
        [180_000, 0, 0, 1],
        [240_000, 0, 0, 0],
      ],
    );
  });

  it('forgets buckets that left the window', () => {
    const throughput = new Throughput(60_000, 2 * 60_000);
    throughput.record('variants', 7, T0);
    throughput.record('variants', 1, T0 + 5 * 60_000);
    const buckets = throughput.snapshot(T0 + 5 * 60_000);
    assert.equal(buckets.length, 2);
    assert.equal(
      buckets.reduce((sum, b) => sum + b.variants, 0),
      1,
    );
  });
});

describe('quotas', () => {
  const limits = { jobsPerDay: 3, variantsPerDay: 100, bytesStored: 1000 };
  const now = Date.parse('2026-11-29T22:15:00.000Z');

  it('lets a job through that brings usage exactly to the limit', () => {
    assert.equal(
      checkQuota(limits, { jobsToday: 2, variantsToday: 60, bytesStored: 0 }, { variants: 40, bytes: 1000 }, now),
      undefined,
    );
  });

  describe('when an owner has used up the jobs of the day', () => {
    it('names the jobsPerDay quota and the next UTC midnight as its reset', () => {
      const exceeded = checkQuota(
        limits,
        { jobsToday: 3, variantsToday: 0, bytesStored: 0 },
        { variants: 1, bytes: 1 },
        now,
      );
      assert.equal(exceeded?.quota, 'jobsPerDay');
      assert.equal(exceeded?.resetsAt, '2026-11-30T00:00:00.000Z');
      assert.ok(exceeded);
      assert.match(
        quotaMessage('alice', exceeded),
        /jobsPerDay.*3 used \+ 1 requested > 3.*QUOTA_JOBS_PER_DAY.*2026-11-30T00:00:00.000Z/,
      );
    });
  });

  it('refuses a job whose variants would pass the daily variant quota', () => {
    const exceeded = checkQuota(
      limits,
      { jobsToday: 0, variantsToday: 90, bytesStored: 0 },
      { variants: 11, bytes: 1 },
      now,
    );
    assert.equal(exceeded?.quota, 'variantsPerDay');
    assert.equal(exceeded?.used, 90);
  });

  it('refuses a job whose upload would pass the stored-bytes quota, with no daily reset', () => {
    const exceeded = checkQuota(
      limits,
      { jobsToday: 0, variantsToday: 0, bytesStored: 900 },
      { variants: 1, bytes: 101 },
      now,
    );
    assert.equal(exceeded?.quota, 'bytesStored');
    assert.equal(exceeded?.resetsAt, undefined);
  });

  it('treats a limit of 0 as unlimited', () => {
    const open = { jobsPerDay: 0, variantsPerDay: 0, bytesStored: 0 };
    assert.equal(
      checkQuota(open, { jobsToday: 1e6, variantsToday: 1e9, bytesStored: 1e12 }, { variants: 1e4, bytes: 1e9 }, now),
      undefined,
    );
  });

  it('applies per-owner overrides on top of the defaults', () => {
    const overrides = parseQuotaOverrides('{"team-a":{"jobsPerDay":500},"ci":{"bytesStored":0}}');
    assert.deepEqual(limitsFor(limits, overrides, 'team-a'), { ...limits, jobsPerDay: 500 });
    assert.deepEqual(limitsFor(limits, overrides, 'ci'), { ...limits, bytesStored: 0 });
    assert.deepEqual(limitsFor(limits, overrides, 'bob'), limits);
  });

  it('names the bad entry of malformed overrides', () => {
    assert.throws(() => parseQuotaOverrides('{"a":{"jobs":1}}'), /QUOTA_OVERRIDES\.a\.jobs is not a quota/);
    assert.throws(() => parseQuotaOverrides('{"a":{"jobsPerDay":-1}}'), /QUOTA_OVERRIDES\.a\.jobsPerDay must be/);
    assert.throws(() => parseQuotaOverrides('[1]'), /must be a JSON object/);
    assert.throws(() => parseQuotaOverrides('{'), /not JSON/);
  });

  it('computes the UTC day around a time', () => {
    assert.deepEqual(utcDay(now), { start: '2026-11-29T00:00:00.000Z', next: '2026-11-30T00:00:00.000Z' });
  });
});
