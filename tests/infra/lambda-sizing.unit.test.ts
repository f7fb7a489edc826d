import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InfraConfigError } from '../../infra/errors.js';
import { augmenterMemoryMb, BASE_MEMORY_MB } from '../../infra/lambda-sizing.js';

const MB = 1024 * 1024;
const load = { maxPixels: 40_000_000, maxFileBytes: 25 * MB, batchSize: 2, renderConcurrency: 2 };

describe('augmenter memory sizing', () => {
  it('holds every record of a batch at the pixel limit: input, decoded RGBA and two copies per render', () => {
    // Act
    const memory = augmenterMemoryMb(load);
    // Assess: 2 x (25 MB + 160 MB + 2 x 2 x 160 MB) + runtime, rounded up to 128 MB.
    const needed = BASE_MEMORY_MB + (2 * (25 * MB + 160e6 + 4 * 160e6)) / MB;
    assert.ok(memory >= needed, `${memory} MB >= ${needed} MB`);
    assert.ok(memory - needed < 128);
    assert.equal(memory % 128, 0);
  });

  it('grows linearly with the batch size and the render concurrency', () => {
    const one = augmenterMemoryMb({ ...load, batchSize: 1, renderConcurrency: 1 });
    const four = augmenterMemoryMb({ ...load, batchSize: 2, renderConcurrency: 2 });
    assert.ok(four > 2 * (one - BASE_MEMORY_MB));
  });

  it('refuses a load no Lambda can hold, naming what to lower', () => {
    assert.throws(
      () => augmenterMemoryMb({ ...load, batchSize: 20 }),
      (error: unknown) => error instanceof InfraConfigError && /lower batchSize/.test(error.message),
    );
  });
});
