import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@delta-augment/ports';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { tempDir } from '../helpers/server.js';
import { errorOf, makeZip } from './fixtures.js';

describe('dataset zips of thousands of images, with the default limits', () => {
  let t: TestApp;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp();
    jpeg = await gradientJpeg(8, 8);
  });
  after(() => t.close());

  const postZip = (zip: Buffer) =>
    t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'dataset.zip', data: zip, type: 'application/zip' }], { variants: '1' }),
    });

  it('allows 10,000 files per job unless MAX_FILES_PER_JOB says otherwise', () => {
    assert.equal(loadConfig({ DATA_DIR: tempDir() }).maxFilesPerJob, 10_000);
    assert.equal(loadConfig({ DATA_DIR: tempDir(), MAX_FILES_PER_JOB: '20' }).maxFilesPerJob, 20);
  });

  it('accepts a dataset of 1,200 images (more than the former limit of 500) as one job', async () => {
    // Prepare
    const zip = await makeZip(
      Array.from({ length: 1_200 }, (_, i) => ({ name: `${i % 2 ? 'cats' : 'dogs'}/${i}.jpg`, data: jpeg })),
    );
    // Act
    const response = await postZip(zip);
    // Assess
    assert.equal(response.statusCode, 202, response.body);
    const job = response.json() as { id: string; progress: { total: number } };
    assert.equal(job.progress.total, 1_200);
  });

  it('refuses 10,001 images with a 413 naming MAX_FILES_PER_JOB', async () => {
    // Prepare: tiny entries, so that only the count is over a limit
    const zip = await makeZip(Array.from({ length: 10_001 }, (_, i) => ({ name: `cats/${i}.jpg`, data: jpeg })));
    // Act
    const response = await postZip(zip);
    // Assess
    assert.equal(response.statusCode, 413, response.body);
    assert.match(errorOf(response).message, /more than 10000 images \(MAX_FILES_PER_JOB\)/);
  });
});
