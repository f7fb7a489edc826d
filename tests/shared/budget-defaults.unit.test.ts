import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadBudgets } from '@delta-augment/ports';

const limits = { maxPixels: 40_000_000, handlerTimeoutSeconds: 120 };

describe('the default budgets of a large uploaded dataset', () => {
  it('let a job write the largest dataset zip again in variants, and their archive', () => {
    // Act
    const defaults = loadBudgets({}, limits);
    const larger = loadBudgets({ MAX_DATASET_BYTES: String(10 * 1024 ** 3) }, limits);
    // Assess: the variants may take half of MAX_JOB_OUTPUT_BYTES (the archive the other half)
    assert.ok(defaults.maxJobOutputBytes / 2 >= 2 * defaults.maxDatasetBytes, `${defaults.maxJobOutputBytes}`);
    assert.equal(larger.maxJobOutputBytes, 40 * 1024 ** 3);
  });

  it('keep an explicit MAX_JOB_OUTPUT_BYTES', () => {
    assert.equal(loadBudgets({ MAX_JOB_OUTPUT_BYTES: '4096' }, limits).maxJobOutputBytes, 4096);
  });

  it('give a signed upload REQUEST_TIMEOUT_SECONDS (120) plus a second per MiB received', () => {
    // Act
    const { minUploadBytesPerSecond, requestTimeoutSeconds } = loadBudgets({}, limits);
    // Assess: a 2 GB zip over a 10 MB/s link takes 200 s; the budget at the floor is 2,027 s
    assert.equal(minUploadBytesPerSecond, 1024 ** 2);
    assert.equal(requestTimeoutSeconds, 120);
  });
});
