import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { assertContiguousSeqs } from '../helpers/assertions.js';
import { sharedImage } from '../helpers/images.js';
import { fixture, seedJob, variantIndices } from '../helpers/jobs.js';
import { REPO, tempDir, waitFor } from '../helpers/server.js';

const ENV = { VISIBILITY_TIMEOUT_SECONDS: '4', HANDLER_TIMEOUT_SECONDS: '4', WORKER_CONCURRENCY: '1' };

const spawnWorker = (dataDir: string): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', 'apps/local/src/worker-main.ts'], {
    cwd: REPO,
    env: { ...process.env, ...ENV, DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });

describe('a worker process killed in the middle of a message', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('is redelivered after its visibility timeout and the job completes with no duplicate output', async () => {
    // Prepare: a 3-megapixel source with 12 variants, so that the kill lands mid-message
    const dataDir = tempDir();
    const f = fixture({ DATA_DIR: dataDir, ...ENV });
    const big = await sharp(sharedImage('dune.jpg')).resize(2000, 1500, { fit: 'fill' }).jpeg().toBuffer();
    const { jobId } = await seedJob(f, [{ name: 'dune.jpg', data: big }], { variants: 12 });
    const first = spawnWorker(dataDir);
    children.push(first);
    // The first variant file on disk (a batch's variants are recorded together once the batch is synced).
    await waitFor(
      async () =>
        (await f.ports.blobs.list(`results/${jobId}/`)).some((key) => key.endsWith('.jpg')) ? true : undefined,
      30_000,
      'the first variant file',
    );

    // Act
    first.kill('SIGKILL');
    const partial = (await f.jobs.load(jobId))?.counts.variants ?? 0;
    const second = spawnWorker(dataDir);
    children.push(second);

    // Assess
    await waitFor(
      async () => {
        const s = await f.jobs.load(jobId);
        return s?.status === 'completed' ? s : undefined;
      },
      60_000,
      'completion by the second worker',
    );
    assert.ok(partial < 12, 'the first worker was killed before it finished');
    const events = await f.ports.events.read(jobId);
    assertContiguousSeqs(events);
    const written = variantIndices(events);
    assert.deepEqual(
      [...written].sort((a, b) => a - b),
      Array.from({ length: 12 }, (_, i) => i),
    );
    assert.equal(events.filter((e) => e.type === 'JobCompleted').length, 1);
    const starts = events.filter((e) => e.type === 'SourceStarted');
    // The killed attempt and the one that completed; a slow machine may let the visibility lapse once more.
    const attempts = starts.map((e) => (e.type === 'SourceStarted' ? e.data.attempt : 0));
    assert.ok(attempts.length >= 2, `attempts: ${attempts}`);
    assert.deepEqual(
      attempts,
      attempts.map((_, i) => i + 1),
    );
    const outputs = (await f.ports.blobs.list(`results/${jobId}/`)).filter((k) => k.endsWith('.jpg'));
    assert.equal(outputs.length, 12);
    await f.close();
  });
});
