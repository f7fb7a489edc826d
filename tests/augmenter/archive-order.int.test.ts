import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { orderedVariants, placeSources, writeArchive } from '@delta-augment/augmenter';
import { blobKeys, newId, type SourceRef, type VariantRecord } from '@delta-augment/core';
import { createJob, type Fixture, fixture } from '../helpers/jobs.js';
import { readZip } from '../helpers/zip.js';

const VARIANTS = 4;
/** Sources as a client might send them: not in name order, over two label folders. */
const SOURCES = [
  { name: 'c.jpg', label: 'dogs' },
  { name: 'a.jpg', label: 'dogs' },
  { name: 'b.jpg', label: 'cats' },
  { name: 'e.jpg', label: 'cats' },
  { name: 'd.jpg', label: '' },
];

/**
 * One job of SOURCES whose variants are recorded in the given order of (source position, index) batches, as
 * workers finishing at different times would record them; each variant's bytes name its source and index.
 */
const recordedJob = async (f: Fixture, batches: readonly (readonly [number, readonly number[]])[]) => {
  const jobId = newId('j');
  const refs: SourceRef[] = SOURCES.map(({ name, label }) => {
    const sourceId = newId('s');
    return { sourceId, name, label, key: blobKeys.source(jobId, sourceId, name) };
  });
  await createJob(f.jobs, jobId, refs, { variants: VARIANTS });
  for (const ref of refs) await f.jobs.handleSource(jobId, ref.sourceId, { type: 'StartSource', attempt: 1 });
  for (const [position, indices] of batches) {
    const ref = refs[position] as SourceRef;
    const variants: VariantRecord[] = [];
    for (const index of indices) {
      const key = `results/${jobId}/${ref.sourceId}/${index}.jpg`;
      await f.ports.blobs.put(key, Buffer.from(`${ref.name}#${index}`));
      variants.push({ index, key, bytes: 8, operations: [{ op: 'flip', params: { n: index } }] });
    }
    await f.jobs.handleSource(jobId, ref.sourceId, { type: 'RecordVariants', variants });
  }
  for (const ref of refs) await f.jobs.handleSource(jobId, ref.sourceId, { type: 'CompleteSource' });
  const job = await f.jobs.load(jobId);
  assert.equal(job?.status, 'processing');
  return job as NonNullable<typeof job>;
};

const everyIndex = [0, 1, 2, 3];

describe('the order of an archive', () => {
  const f = fixture();
  after(() => f.close());

  it('is label folder (none first), source name, index, whatever order the variants were recorded in', async () => {
    // Prepare: the same sources recorded source after source, and interleaved in reverse
    const inOrder = await recordedJob(
      f,
      SOURCES.map((_, i) => [i, everyIndex] as const),
    );
    const interleaved = await recordedJob(f, [
      [4, [3, 1]],
      [2, [2]],
      [0, everyIndex],
      [4, [0, 2]],
      [3, [1, 0, 3, 2]],
      [1, [2, 3]],
      [2, [3, 0, 1]],
      [1, [1, 0]],
    ]);

    // Act
    const zips = [];
    for (const job of [inOrder, interleaved]) {
      await writeArchive(f.ports.blobs, f.jobs, job);
      zips.push(await readZip(await f.ports.blobs.getBuffer(blobKeys.archive(job.id))));
    }
    const [a, b] = zips as [Map<string, Buffer>, Map<string, Buffer>];

    // Assess: the same entries in the same order, sorted; the CSV manifest byte-identical; the JSON manifest's
    // variants the same list but for the source ids
    const names = [...a.keys()];
    const expected = ['d', 'cats/b', 'cats/e', 'dogs/a', 'dogs/c'].flatMap((stem) =>
      everyIndex.map((i) => `${stem}_00${i}.jpg`),
    );
    assert.deepEqual(names, [...expected, 'manifest.json', 'manifest.csv']);
    assert.deepEqual([...b.keys()], names);
    for (const name of expected) assert.ok(a.get(name)?.equals(b.get(name) as Buffer), name);
    assert.ok(a.get('manifest.csv')?.equals(b.get('manifest.csv') as Buffer), 'manifest.csv is identical');
    const variants = (zip: Map<string, Buffer>) =>
      (JSON.parse((zip.get('manifest.json') as Buffer).toString('utf8')).variants as { sourceId: string }[]).map(
        ({ sourceId: _, ...v }) => v,
      );
    assert.deepEqual(variants(b), variants(a));
    assert.deepEqual(
      variants(a).map((v) => (v as { file: string }).file),
      expected,
    );
  });

  it('is the same when the variants are put in order in windows smaller than the job', async () => {
    // Prepare
    const job = await recordedJob(f, [
      [3, [3, 2]],
      [1, everyIndex],
      [0, [1]],
      [3, [0, 1]],
      [4, everyIndex],
      [0, [3, 0, 2]],
      [2, everyIndex],
    ]);
    const { placements } = await placeSources(f.jobs, job.id, (source) => source.label);
    const walk = async (window?: number) => {
      const out: string[] = [];
      for await (const { placed, variant } of orderedVariants(f.jobs, job.id, placements, window))
        out.push(`${placed.group}/${placed.stem}#${variant.index}`);
      return out;
    };
    // Act: one window; windows of one source (4 variants); windows of at most 9 variants (two sources)
    const [whole, perSource, pairs] = [await walk(), await walk(4), await walk(9)];
    // Assess
    assert.equal(whole.length, SOURCES.length * VARIANTS);
    assert.deepEqual(whole, [...whole].sort());
    assert.deepEqual(perSource, whole);
    assert.deepEqual(pairs, whole);
  });
});
