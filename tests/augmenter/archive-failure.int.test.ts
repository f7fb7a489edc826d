import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { finaliseOrGiveUp } from '@delta-augment/augmenter';
import { blobKeys, newId, TERMINAL_EVENT_TYPES } from '@delta-augment/core';
import { completeSource, createJob, type Fixture, fixture } from '../helpers/jobs.js';
import { filesUnder, tempDir } from '../helpers/server.js';

const SOURCES = 40;
const VARIANTS = 5;
const MAX_RECEIVES = 3;

describe('an archive that fails after most of its entries are written (a variant file gone)', () => {
  let f: Fixture;
  after(() => f.close());

  it('leaves no archive nor temp file, is retried, and ends the job failed exactly once', async () => {
    // Prepare: 40 sources x 5 variants on the real SQLite/fs adapters; the very last variant's file is missing
    const dataDir = tempDir();
    f = fixture({ DATA_DIR: dataDir });
    const jobId = newId('j');
    const sources = Array.from({ length: SOURCES }, (_, i) => {
      const sourceId = newId('s');
      const name = `img_${String(i).padStart(3, '0')}.jpg`;
      return { sourceId, name, label: 'cats', key: blobKeys.source(jobId, sourceId, name) };
    });
    await createJob(f.jobs, jobId, sources, { variants: VARIANTS });
    for (const [i, source] of sources.entries()) {
      const variants = Array.from({ length: VARIANTS }, (_, index) => ({
        index,
        key: `results/${jobId}/${source.sourceId}/${index}.jpg`,
        bytes: 4096,
        operations: [],
      }));
      for (const v of variants) {
        const last = i === SOURCES - 1 && v.index === VARIANTS - 1;
        if (!last) await f.ports.blobs.put(v.key, Buffer.alloc(4096, v.index));
      }
      await completeSource(f.jobs, jobId, source.sourceId, variants);
    }
    const deps = { blobs: f.ports.blobs, jobs: f.jobs, maxReceiveCount: MAX_RECEIVES };
    const resultFiles = () => filesUnder(join(dataDir, 'blobs', 'objects', 'results', jobId));
    const strayFiles = () =>
      [...filesUnder(join(dataDir, 'blobs', 'objects')), ...filesUnder(join(dataDir, 'blobs', 'meta'))].filter(
        (name) => name.endsWith('.tmp') || name.includes('archive.zip'),
      );

    // Act: the first receive fails part-way through the archive
    await assert.rejects(finaliseOrGiveUp(deps, jobId, 1), /results\//);
    // Assess: the message is retried, the job is still open, nothing of the archive is left
    assert.equal((await f.jobs.load(jobId))?.status, 'processing');
    assert.deepEqual(strayFiles(), []);
    assert.equal(resultFiles().length, SOURCES * VARIANTS - 1, 'the variants themselves are untouched');

    // Act: the last receive fails the same way, then the message is delivered once more (a duplicate)
    await finaliseOrGiveUp(deps, jobId, MAX_RECEIVES);
    await finaliseOrGiveUp(deps, jobId, MAX_RECEIVES + 1);
    // Assess: one terminal event, the job failed with the reason, still no archive or temp file
    const job = await f.jobs.load(jobId);
    assert.equal(job?.status, 'failed');
    assert.equal(job?.archive, undefined);
    const terminal = (await f.jobs.read(jobId, 0, 10_000)).filter((e) => TERMINAL_EVENT_TYPES.includes(e.type));
    assert.deepEqual(
      terminal.map((e) => e.type),
      ['JobFailed'],
    );
    assert.match(JSON.stringify(terminal[0]?.data), /could not be finalised after 3 attempts/);
    assert.deepEqual(strayFiles(), []);
    assert.equal(await f.ports.blobs.head(blobKeys.archive(jobId)), undefined);
  });
});
