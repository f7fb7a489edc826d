import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { blobKeys, DATASET_SOURCE_ID, newId, systemClock, TERMINAL_EVENT_TYPES } from '@delta-augment/core';
import { expandDataset } from '@delta-augment/datasets';
import { failDeadLetteredDatasets, reconcile } from '@delta-augment/gateway';
import { DEAD_LETTER_QUEUE, loadConfig, UPLOAD_QUEUE } from '@delta-augment/ports';
import { makeZip } from '../gateway/fixtures.js';
import { gradientJpeg } from '../helpers/images.js';
import { DATASET_ZIP_FIELDS, type Fixture, fixture } from '../helpers/jobs.js';

/**
 * A dataset zip whose reader (the augmenter) is cut at every delivery of its ObjectCreated message (the Lambda's
 * timeout or memory): the message goes to the upload DLQ with nothing on the job, which would wait for its sources
 * forever. The AWS gateway's dead-letter sweep (and the local reconciler) fail it once, with a reason.
 */
const RECEIVES = 2;

/** A job waiting for its dataset zip, the zip stored (which queues its message), and that message received
 * `RECEIVES` times by a reader that never answered, then moved to the DLQ by the next receive. */
const zipDeadLettered = async (f: Fixture) => {
  const jobId = newId('j');
  const zip = await makeZip([{ name: 'set/cats/a.jpg', data: await gradientJpeg(16, 12) }]);
  const upload = { key: blobKeys.source(jobId, DATASET_SOURCE_ID, 'pets.zip'), name: 'pets.zip', bytes: zip.length };
  await f.jobs.handleJob(jobId, {
    type: 'CreateJob',
    owner: 'alice',
    pipeline: { preset: 'delta-classic', seed: 3 },
    variants: 1,
    tags: [],
    sources: [],
    expiresAt: '2099-01-01T00:00:00.000Z',
    datasetUpload: { ...upload, fields: DATASET_ZIP_FIELDS },
  });
  await f.ports.blobs.put(upload.key, zip, { contentType: 'application/zip' });
  for (let receive = 1; receive <= RECEIVES; receive++)
    assert.equal((await f.ports.queue.receive(UPLOAD_QUEUE, { visibilityTimeoutSeconds: 0 })).length, 1);
  assert.deepEqual(await f.ports.queue.receive(UPLOAD_QUEUE, { visibilityTimeoutSeconds: 0 }), []);
  assert.equal((await f.ports.queue.peek(DEAD_LETTER_QUEUE)).length, 1, 'the zip message is in the DLQ');
  const waiting = await f.jobs.load(jobId);
  assert.equal(waiting?.datasetExpanded, undefined, 'nothing on the job says so');
  assert.notEqual(waiting?.status, 'failed');
  return { jobId };
};

const REASON = /^the dataset zip could not be read in \d+ attempts: its reader stopped \(out of time or memory\)/;

const terminalEvents = async (f: Fixture, jobId: string) =>
  (await f.jobs.read(jobId, 0, 1000)).filter((e) => TERMINAL_EVENT_TYPES.includes(e.type));

describe('a dataset zip whose message is in the upload dead-letter queue', () => {
  let f: Fixture;
  afterEach(() => f.close());

  describe('when the AWS gateway sweeps the upload DLQ (every instance, so twice)', () => {
    it('fails the job once with a reason naming the zip; the message stays for the operator', async () => {
      // Prepare
      f = fixture({ MAX_RECEIVE_COUNT: String(RECEIVES) });
      const { jobId } = await zipDeadLettered(f);

      // Act
      const sweep = { queue: f.ports.queue, jobs: f.jobs };
      const failed = [await failDeadLetteredDatasets(sweep), await failDeadLetteredDatasets(sweep)];

      // Assess
      assert.deepEqual(failed, [1, 0]);
      const job = await f.jobs.load(jobId);
      assert.equal(job?.status, 'failed');
      assert.match(job?.failure ?? '', REASON);
      assert.equal((await terminalEvents(f, jobId)).length, 1);
      assert.equal((await f.ports.queue.peek(DEAD_LETTER_QUEUE)).length, 1);

      // Act: the operator redrives it to a working reader
      const ended = await f.jobs.read(jobId, 0, 1000);
      await expandDataset({ blobs: f.ports.blobs, jobs: f.jobs, config: loadConfig({}) }, jobId);

      // Assess: the ended job is left as it was
      assert.deepEqual(await f.jobs.read(jobId, 0, 1000), ended);
    });
  });

  describe('when the local reconciler runs', () => {
    it('fails the job once with the same reason', async () => {
      // Prepare
      f = fixture({ MAX_RECEIVE_COUNT: String(RECEIVES) });
      const { jobId } = await zipDeadLettered(f);
      const deps = {
        ports: f.ports,
        jobs: f.jobs,
        clock: systemClock,
        resend: async (key: string) => assert.fail(`nothing is resent (${key})`),
      };

      // Act
      const reports = [await reconcile(deps, 900_000), await reconcile(deps, 0)];

      // Assess
      assert.deepEqual(
        reports.map((r) => r.datasetsUnread),
        [1, 0],
      );
      const job = await f.jobs.load(jobId);
      assert.equal(job?.status, 'failed');
      assert.match(job?.failure ?? '', REASON);
      assert.equal((await terminalEvents(f, jobId)).length, 1);
    });
  });
});
