import type { NewSource } from '../../../packages/core/src/jobs/decide.js';
import type { JobEvent, JobEventBody } from '../../../packages/core/src/jobs/events.js';
import { DATASET_ZIP_FIELDS } from '../../helpers/dataset-zip-fields.js';

/** Builders for a job created for an uploaded dataset zip and the images its expansion finds. */

export const awaitingZip = (jobId: string): JobEventBody => ({
  type: 'JobCreated',
  data: {
    owner: 'owner-a',
    pipeline: { preset: 'basic', seed: 7 },
    variants: 2,
    tags: [],
    sources: [],
    sourceCount: 0,
    outputs: 0,
    expiresAt: '2099-01-01T00:00:00.000Z',
    datasetUpload: {
      key: `sources/${jobId}/dataset/pets.zip`,
      name: 'pets.zip',
      bytes: 1000,
      fields: DATASET_ZIP_FIELDS,
    },
  },
});

/** `count` images of two class folders, with ids and keys as the expansion derives them (same on every reading). */
export const zipImages = (jobId: string, count: number): NewSource[] =>
  Array.from({ length: count }, (_, i) => {
    const label = i % 2 === 0 ? 'cats' : 'dogs';
    const name = `${String(i).padStart(4, '0')}.jpg`;
    const sourceId = `s_${String(i).padStart(22, '0')}`;
    return {
      sourceId,
      name,
      label,
      key: `sources/${jobId}/${sourceId}/${name}`,
      entry: `${label}/${name}`,
      upload: { bytes: 100 + i, format: 'jpeg', width: 8, height: 6 },
    };
  });

/** The events of the first `steps` steps of an expansion (each a `SourcesAdded` and the uploads after it). */
export const firstSteps = (bodies: readonly JobEventBody[], steps: number): JobEventBody[] => {
  const starts = bodies.flatMap((b, i) => (b.type === 'SourcesAdded' ? [i] : []));
  return bodies.slice(0, starts[steps] ?? bodies.length - 1);
};

/** Source ids named more than once by the stream's `SourcesAdded` events. */
export const namedTwice = (events: readonly JobEvent[]): string[] => {
  const seen = new Set<string>();
  const twice: string[] = [];
  for (const event of events) {
    if (event.type !== 'SourcesAdded') continue;
    for (const { sourceId } of event.data.sources) {
      if (seen.has(sourceId)) twice.push(sourceId);
      seen.add(sourceId);
    }
  }
  return twice;
};
