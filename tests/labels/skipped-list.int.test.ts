import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_SKIPPED_LISTED } from '@delta-augment/core';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import { cocoZipWithUnlisted } from './photo-dataset.js';

/**
 * A labelled dataset that skips more items than a job's events may list: the spec in `JobCreated` (and in the
 * job record, a DynamoDB item of at most 400 KB) lists the first MAX_SKIPPED_LISTED, counts them all and
 * names a blob holding every one, which the archive's manifest lists in full.
 */
const UNLISTED = MAX_SKIPPED_LISTED + 20;

describe('a labelled dataset with more skipped items than a spec lists', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ workers: true, env: { MAX_PIXELS: '4000000' } });
  });
  after(() => t.close());

  it('keeps the event small, counts every skipped item and lists them all in the manifest', async () => {
    // Prepare: a COCO dataset plus images no COCO file lists
    const zip = await cocoZipWithUnlisted(UNLISTED);
    // Act
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'dataset.zip', data: zip, type: 'application/zip' }], {
        variants: '1',
        onLabelError: 'skip',
      }),
    });
    assert.equal(created.statusCode, 202, created.body);
    const id = created.json().id as string;
    const view = await waitFor(
      async () => {
        const v = (await t.app.inject({ url: `/api/jobs/${id}` })).json();
        return v.status === 'completed' || v.status === 'failed' ? v : undefined;
      },
      120_000,
      `job ${id}`,
    );
    // Assess
    assert.equal(view.status, 'completed', JSON.stringify(view));
    assert.equal(view.dataset.skipped, UNLISTED);
    const [first] = (await t.app.inject({ url: `/api/jobs/${id}/events` })).json() as {
      type: string;
      data: { dataset: { skipped: unknown[]; skippedCount: number } };
    }[];
    assert.equal(first?.type, 'JobCreated');
    assert.equal(first?.data.dataset.skipped.length, MAX_SKIPPED_LISTED);
    assert.equal(first?.data.dataset.skippedCount, UNLISTED);
    const archive = await readZip((await t.app.inject({ url: `/api/jobs/${id}/archive` })).rawPayload);
    const manifest = JSON.parse(archive.get('manifest.json')?.toString('utf8') ?? '{}') as {
      skipped: { file: string }[];
    };
    assert.equal(manifest.skipped.length, UNLISTED);
    assert.equal(new Set(manifest.skipped.map((s) => s.file)).size, UNLISTED);
    assert.ok(!JSON.stringify(manifest).includes('skippedKey'), 'the blob key stays internal');
  });
});
