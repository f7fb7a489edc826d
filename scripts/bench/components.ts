/**
 * The end-to-end path's costs beyond the engine, each on its own: the real local adapters (the fs blob
 * store, the SQLite job store with its bus, the SQLite work queue) in a temporary directory, driven one
 * call at a time in the order the gateway and the augmenter drive them for a job, so that the CPU time
 * around each call is that call's. Per source: the upload's put and its queue message; the receive; the
 * job-store commands (start, upload facts, the variants in batches, complete); the source read, the
 * thumbnail and every variant's put; the delete. Then the archive and the job's finalisation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeArchive } from '@delta-augment/augmenter';
import { blobKeys, objectCreatedEvent, VARIANTS_PER_EVENT, type VariantRecord } from '@delta-augment/core';
import { cpuNow } from '@delta-augment/engine';
import { JobService, UPLOAD_QUEUE } from '@delta-augment/ports';
import { LocalBlobStore, localPorts } from '@delta-augment/ports/local';

/** One source of the job as the engine rendered it. */
export interface RenderedSource {
  readonly name: string;
  readonly input: Buffer;
  readonly width: number;
  readonly height: number;
  readonly thumbnail: Buffer;
  readonly variants: readonly { readonly data: Buffer; readonly operations: VariantRecord['operations'] }[];
}

/** CPU milliseconds per variant of each part. */
export interface ComponentFigures {
  /** Blob store: the upload, the source read, the thumbnail, each variant, the archive (reads and write). */
  readonly storage: number;
  /** Job store: every command's read, decision, append and bus publish. */
  readonly jobStore: number;
  /** Work queue: each source's message sent, received and deleted. */
  readonly queue: number;
}

export async function benchComponents(sources: readonly RenderedSource[]): Promise<ComponentFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'delta-bench-parts-'));
  // No notify on the store: the upload's queue message is sent below, so that it counts as queue time.
  const ports = localPorts({ dataDir, visibilityTimeoutSeconds: 60, maxReceiveCount: 3, signingSecret: 'bench' });
  const { queue } = ports;
  const store = new LocalBlobStore({ root: join(dataDir, 'blobs') });
  const jobs = new JobService(ports.events, ports.bus);
  const spent = { storage: 0, jobStore: 0, queue: 0 };
  const timed = async <T>(part: keyof typeof spent, work: () => Promise<T>): Promise<T> => {
    const started = cpuNow();
    try {
      return await work();
    } finally {
      spent[part] += cpuNow() - started;
    }
  };
  try {
    const jobId = 'j_benchparts0000000000000';
    const ids = sources.map((_, i) => `s_${String(i).padStart(22, '0')}`);
    const keys = sources.map((s, i) => blobKeys.source(jobId, ids[i] as string, s.name));
    await timed('jobStore', () =>
      jobs.handleJob(jobId, {
        type: 'CreateJob',
        owner: 'bench',
        pipeline: { preset: 'delta-classic', seed: 1 },
        variants: sources[0]?.variants.length ?? 0,
        tags: [],
        sources: sources.map((s, i) => ({
          sourceId: ids[i] as string,
          name: s.name,
          label: '',
          key: keys[i] as string,
          upload: { bytes: s.input.length, format: 'jpeg', width: s.width, height: s.height },
        })),
        expiresAt: '2999-01-01T00:00:00.000Z',
      }),
    );
    for (const [i, source] of sources.entries()) {
      const key = keys[i] as string;
      const head = await timed('storage', () => store.put(key, source.input, { contentType: 'image/jpeg' }));
      const body = JSON.stringify(objectCreatedEvent('local', key, head.size, Date.now()));
      await timed('queue', () => queue.send(UPLOAD_QUEUE, body));
    }
    for (const [i, rendered] of sources.entries()) {
      const sourceId = ids[i] as string;
      const [message] = await timed('queue', () => queue.receive(UPLOAD_QUEUE, { maxMessages: 1 }));
      if (!message) throw new Error('the bench lost a message');
      const [job] = await timed('jobStore', () => Promise.all([jobs.load(jobId), jobs.loadSource(jobId, sourceId)]));
      if (!job) throw new Error('the bench lost its job');
      let { source } = await timed('jobStore', () =>
        jobs.handleSource(jobId, sourceId, { type: 'StartSource', attempt: 1 }),
      );
      await timed('storage', () => store.getBuffer(keys[i] as string));
      const facts = { bytes: rendered.input.length, format: 'jpeg', width: rendered.width, height: rendered.height };
      ({ source } = await timed('jobStore', () =>
        jobs.handleSource(jobId, sourceId, { type: 'RecordUpload', facts }, source),
      ));
      const thumbKey = blobKeys.thumbnail(jobId, sourceId);
      await timed('storage', async () => {
        if (!(await store.head(thumbKey))) await store.put(thumbKey, rendered.thumbnail, { contentType: 'image/webp' });
      });
      let batch: VariantRecord[] = [];
      const record = async () => {
        const variants = batch;
        batch = [];
        if (variants.length === 0) return;
        await timed('storage', () => store.sync(variants.map((v) => v.key)));
        ({ source } = await timed('jobStore', () =>
          jobs.handleSource(jobId, sourceId, { type: 'RecordVariants', variants }, source),
        ));
      };
      for (const [index, variant] of rendered.variants.entries()) {
        const key = blobKeys.variant(jobId, sourceId, index, 'jpg');
        await timed('storage', () => store.put(key, variant.data, { contentType: 'image/jpeg', deferSync: true }));
        batch.push({ index, key, bytes: variant.data.length, operations: variant.operations });
        // The augmenter records a batch every 250 ms or VARIANTS_PER_EVENT variants: about 8 at this speed.
        if (batch.length >= Math.min(8, VARIANTS_PER_EVENT)) await record();
      }
      await record();
      await timed('jobStore', () => jobs.handleSource(jobId, sourceId, { type: 'CompleteSource' }, source));
      await timed('queue', () => queue.delete(UPLOAD_QUEUE, message.receiptHandle));
    }
    const job = await timed('jobStore', () => jobs.load(jobId));
    if (!job) throw new Error('the bench lost its job');
    const archive = await timed('storage', () => writeArchive(store, jobs, job));
    await timed('jobStore', () => jobs.handleJob(jobId, { type: 'FinaliseJob', archive, failures: [] }));
    const variants = sources.reduce((n, s) => n + s.variants.length, 0);
    return {
      storage: spent.storage / variants,
      jobStore: spent.jobStore / variants,
      queue: spent.queue / variants,
    };
  } finally {
    await ports.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
