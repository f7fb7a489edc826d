import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { finaliseJob } from '@delta-augment/augmenter';
import { blobKeys, newId } from '@delta-augment/core';
import { failLateUploads, INTERRUPTED_UPLOAD } from '@delta-augment/gateway';
import { fixture } from '../helpers/jobs.js';

const DEADLINE_SECONDS = 600;

/**
 * A multipart job recorded with its sources uploaded, as the gateway records it before storing them; `stored` says
 * which sources' objects then reached the store (a gateway killed between the two stores none).
 */
const recordMultipartJob = async (f: ReturnType<typeof fixture>, stored: readonly boolean[]) => {
  const jobId = newId('j');
  const sources = stored.map((_, i) => {
    const sourceId = newId('s');
    const name = `photo-${i}.jpg`;
    return {
      sourceId,
      name,
      label: '',
      key: blobKeys.source(jobId, sourceId, name),
      upload: { bytes: 3, format: 'jpeg', width: 1, height: 1 },
    };
  });
  await f.jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner: 'tester',
    pipeline: { preset: 'delta-classic', seed: 1 },
    variants: 1,
    tags: [],
    sources,
    expiresAt: '2999-01-01T00:00:00.000Z',
  });
  // Stored without their notification: these stay queued as in a backlog (nothing here receives messages)
  for (const [i, source] of sources.entries()) {
    if (stored[i]) await f.ports.blobs.put(source.key, Buffer.from([0xff, 0xd8, 0xff]), { contentType: 'image/jpeg' });
  }
  return { jobId, sources };
};

describe('the upload deadline sweep on a multipart upload whose gateway died before storing it', () => {
  const f = fixture();
  after(() => f.close());
  let offset = 0;
  const sweep = () =>
    failLateUploads({
      events: f.ports.events,
      jobs: f.jobs,
      blobs: f.ports.blobs,
      clock: { now: () => Date.now() + offset },
      deadlineSeconds: DEADLINE_SECONDS,
      finalise: (jobId) => finaliseJob({ blobs: f.ports.blobs, jobs: f.jobs }, jobId),
    });

  it('fails the sources without an object past the deadline and ends the job, leaving stored ones alone', async () => {
    // Prepare: a job whose single source never reached the store, and one queued with its source stored
    const lost = await recordMultipartJob(f, [false]);
    const backlog = await recordMultipartJob(f, [true]);
    assert.equal((await f.jobs.load(lost.jobId))?.status, 'queued');
    assert.equal(await sweep(), 0, 'nothing fails before the deadline');

    // Act
    offset = (DEADLINE_SECONDS + 5) * 1000;
    const failed = await sweep();
    const again = await sweep();

    // Assess
    assert.equal(failed, 1);
    assert.equal(again, 0, 'a second sweep finds nothing');
    const source = await f.jobs.loadSource(lost.jobId, lost.sources[0]?.sourceId ?? '');
    assert.equal(source?.status, 'failed');
    assert.equal(source?.failure, INTERRUPTED_UPLOAD);
    const job = await f.jobs.load(lost.jobId);
    assert.equal(job?.status, 'failed');
    assert.equal((await f.jobs.load(backlog.jobId))?.status, 'queued', 'a stored source waits for its worker');
  });
});
