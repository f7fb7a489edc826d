import type { JobEventBody, SourceEventBody } from '../../../packages/core/src/jobs/events.js';

/** Builders of job event bodies for store and bus tests. */

export const jobCreated = (
  options: { owner?: string; tags?: readonly string[]; sources?: readonly string[]; expiresAt?: string } = {},
): JobEventBody => {
  const sources = (options.sources ?? ['s1']).map((sourceId) => ({
    sourceId,
    name: `${sourceId}.jpg`,
    label: '',
    key: `sources/job/${sourceId}/${sourceId}.jpg`,
  }));
  return {
    type: 'JobCreated',
    data: {
      owner: options.owner ?? 'owner-a',
      pipeline: { preset: 'basic', seed: 7 },
      variants: 2,
      tags: options.tags ?? [],
      sources,
      sourceCount: sources.length,
      outputs: sources.length * 2,
      expiresAt: options.expiresAt ?? '2099-01-01T00:00:00.000Z',
    },
  };
};

export const sourceUploaded = (sourceId = 's1'): SourceEventBody => ({
  type: 'SourceUploaded',
  data: { sourceId, bytes: 1234, format: 'jpeg', width: 64, height: 48 },
});

export const sourceStarted = (sourceId = 's1', attempt = 1): SourceEventBody => ({
  type: 'SourceStarted',
  data: { sourceId, attempt },
});

export const variantsWritten = (sourceId = 's1', indices: readonly number[] = [0]): SourceEventBody => ({
  type: 'VariantsWritten',
  data: {
    sourceId,
    variants: indices.map((index) => ({
      index,
      key: `results/job/${sourceId}/${String(index).padStart(4, '0')}.jpg`,
      bytes: 999,
      operations: [{ op: 'rotate', params: { degrees: 12.5 } }],
    })),
  },
});

export const sourceCompleted = (sourceId = 's1', variants = 1): SourceEventBody => ({
  type: 'SourceCompleted',
  data: { sourceId, variants },
});
