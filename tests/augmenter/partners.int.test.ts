import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { partnersOf } from '@delta-augment/augmenter';
import { blobKeys, newId, type SourceRef, type SourceState } from '@delta-augment/core';
import type { JobService } from '@delta-augment/ports';
import sharp from 'sharp';
import { createJob, type Fixture, fixture } from '../helpers/jobs.js';

const SOURCES = 700;
const LIMITS = { maxPixels: 40_000_000, maxInputBytes: 25 * 1024 * 1024 };

/** The job service with its source listing counted (pages read). */
const counting = (inner: JobService) => {
  let pages = 0;
  const jobs = new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'sources') {
        return (...args: Parameters<JobService['sources']>) => {
          pages++;
          return target.sources(...args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { jobs, pages: () => pages };
};

describe('the other images of a job (mosaic, copyPaste)', () => {
  let f: Fixture;
  let jobId: string;
  let states: SourceState[];
  before(async () => {
    // Prepare: 700 sources (two pages of the listing), names in reverse id order, every tenth in 'valid'
    f = fixture();
    jobId = newId('j');
    const refs: SourceRef[] = Array.from({ length: SOURCES }, (_, i) => {
      const sourceId = newId('s');
      const name = `img_${String(SOURCES - i).padStart(4, '0')}.png`;
      return {
        sourceId,
        name,
        label: '',
        key: blobKeys.source(jobId, sourceId, name),
        split: i % 10 === 0 ? 'valid' : 'train',
      };
    });
    await createJob(f.jobs, jobId, refs, { variants: 1 });
    const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    for (const ref of refs) await f.ports.blobs.put(ref.key, png, { contentType: 'image/png' });
    states = [];
    for (let cursor: string | undefined, first = true; first || cursor; first = false) {
      const page = await f.jobs.sources(jobId, { limit: 500, cursor });
      states.push(...page.items);
      cursor = page.cursor;
    }
  });
  after(() => f.close());

  it("reads the job's list of sources once per worker, not once per source", async () => {
    // Act: every source asks for its partners, as each would when it is processed
    const { jobs, pages } = counting(f.jobs);
    const counts = [];
    for (const state of states)
      counts.push((await partnersOf({ jobs, blobs: f.ports.blobs, limits: LIMITS }, jobId, state)).count);
    // Assess: two pages of 500 in all (the quadratic way read 2 × 700)
    assert.equal(pages(), 2);
    const valid = states.filter((s) => s.split === 'valid').length;
    assert.deepEqual(
      [...new Set(counts)].sort((a, b) => a - b),
      [valid - 1, SOURCES - valid - 1],
    );
  });

  it('gives each source the others of its split, in name order, never itself', async () => {
    const train = states.filter((s) => s.split === 'train').sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const self of [train[0], train[300], train.at(-1)] as SourceState[]) {
      const partners = await partnersOf({ jobs: f.jobs, blobs: f.ports.blobs, limits: LIMITS }, jobId, self);
      const names = [];
      for (const k of [0, 1, partners.count - 1]) names.push((await partners.load(k)).name);
      const expected = train.filter((s) => s.sourceId !== self.sourceId);
      assert.deepEqual(names, [expected[0]?.name, expected[1]?.name, expected.at(-1)?.name]);
      await assert.rejects(partners.load(partners.count), RangeError);
    }
  });

  /** A job of a.png, b.png and c.png, a and b stored; the partners of a. */
  const threeSources = async () => {
    const job = newId('j');
    const [a, b, c] = ['a.png', 'b.png', 'c.png'].map((name): SourceRef => {
      const sourceId = newId('s');
      return { sourceId, name, label: '', key: blobKeys.source(job, sourceId, name) };
    });
    assert.ok(a && b && c);
    await createJob(f.jobs, job, [a, b, c], { variants: 1 });
    const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    await f.ports.blobs.put(a.key, png, { contentType: 'image/png' });
    await f.ports.blobs.put(b.key, png, { contentType: 'image/png' });
    const self = (await f.jobs.loadSource(job, a.sourceId)) as SourceState;
    const partners = await partnersOf({ jobs: f.jobs, blobs: f.ports.blobs, limits: LIMITS }, job, self);
    return { job, c, png, partners };
  };
  const uploadFacts = { bytes: 100, format: 'png', width: 8, height: 6 } as const;

  it('waits for another image that is still being stored (a dataset stores its sources one by one)', async () => {
    // Prepare: a job of three sources, one of them not stored yet
    const { c, png, partners } = await threeSources();
    // Act: c.png is drawn from before it is stored, and stored 300 ms later
    const loading = partners.load(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await f.ports.blobs.put(c.key, png, { contentType: 'image/png' });
    // Assess
    assert.equal((await loading).name, 'c.png');
  });

  it('waits for an image recorded as uploaded whose write has not landed yet (the gateway records, then stores)', async () => {
    // Prepare: c.png is recorded as uploaded, as a multipart upload records every image before storing them
    const { job, c, png, partners } = await threeSources();
    await f.jobs.handleSource(job, c.sourceId, { type: 'RecordUpload', facts: uploadFacts });
    // Act: drawn from, then stored 300 ms later
    const loading = partners.load(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await f.ports.blobs.put(c.key, png, { contentType: 'image/png' });
    // Assess: not a permanent "missing" failure of the source that draws from it
    assert.equal((await loading).name, 'c.png');
  });

  it('fails permanently, at once, when a settled image has no object', async () => {
    // Prepare: c.png recorded, never stored, and failed (an interrupted upload)
    const { job, c, partners } = await threeSources();
    await f.jobs.handleSource(job, c.sourceId, { type: 'RecordUpload', facts: uploadFacts });
    await f.jobs.handleSource(job, c.sourceId, { type: 'FailSource', reason: 'interrupted', attempt: 0, final: true });
    // Act + Assess
    await assert.rejects(partners.load(1), (error: Error) => {
      assert.equal(error.name, 'PermanentError');
      assert.match(error.message, /c\.png is missing/);
      return true;
    });
  });
});
