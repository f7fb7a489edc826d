import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type EmulatedStack, startEmulatedStack } from '../../apps/aws-emulated/src/stack.js';
import { SOURCES_PER_EXPANSION_STEP } from '../../packages/core/src/jobs/events.js';
import { makeZip } from '../gateway/fixtures.js';
import { assertContiguousSeqs } from '../helpers/assertions.js';
import { gradientJpeg } from '../helpers/images.js';
import { tempDir, waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';

/**
 * A dataset zip uploaded through a signed S3 URL on the AWS composition (apps/aws-emulated: the gateway on
 * ADAPTERS=aws, S3 and SQS on fauxqs, DynamoDB on dynalite, the Lambda bundle infra deploys on Node 22). The
 * augmenter Lambda expands the zip (ranged GetObjects), records its sources in DynamoDB in steps of
 * SOURCES_PER_EXPANSION_STEP (more images than one 100-item transaction holds), then the sources are augmented
 * and archived. S3 delivers the zip's ObjectCreated twice, so two Lambdas may expand it at once.
 */
const IMAGES = 162;
const LABELS = ['cats', 'dogs', 'owls'] as const;
const JOB_TIMEOUT_MS = 300_000;

interface JobEventView {
  readonly seq: number;
  readonly type: string;
  readonly data?: { sources?: { sourceId: string; entry?: string; label: string }[]; sourceCount?: number };
}

let stack: EmulatedStack;
const output: string[] = [];
before(async () => {
  stack = await startEmulatedStack({
    port: 0,
    // A long Lambda timeout: the expansion must not depend on the machine's speed (a timed-out record would
    // come back only after the visibility timeout); batches of ten sources.
    settings: { lambdaTimeoutSeconds: '120', maxReceiveCount: '3', batchSize: '10' },
    dataDir: tempDir('aws-dataset-'),
    output: (line) => output.push(line),
  });
});
after(async () => {
  await stack?.stop();
});

const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
  const response = await fetch(`${stack.url}${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
};

const classFolderZip = async () => {
  const entries = [];
  for (let i = 0; i < IMAGES; i++)
    entries.push({ name: `pets/${LABELS[i % 3]}/img_${i}.jpg`, data: await gradientJpeg(24 + (i % 17), 20) });
  return makeZip(entries);
};

describe('the AWS composition with a dataset zip uploaded to S3', () => {
  describe('when a class-folder zip of more images than one DynamoDB transaction holds is PUT to its signed URL', () => {
    it('the Lambda expands it once (even when S3 delivers its event twice), augments every image and archives them in their folders', async () => {
      // Prepare
      const zip = await classFolderZip();
      const job = await api<{ id: string; uploads: { url: string; method: string; bytes: number }[] }>('/api/jobs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataset: { name: 'pets.zip', bytes: zip.length }, variants: 1, seed: 11 }),
      });
      const [upload] = job.uploads;
      assert.ok(upload);
      assert.ok(upload.url.startsWith(stack.ready.endpoints.s3), 'the zip goes straight to S3');
      // Act
      const put = await fetch(upload.url, { method: upload.method, body: new Uint8Array(zip) });
      assert.equal(put.status, 200, await put.clone().text());
      await stack.redeliverObjectCreated(
        stack.gatewayEnvironment.SOURCE_BUCKET ?? '',
        `sources/${job.id}/dataset/pets.zip`,
      );
      let last: { status?: string; failure?: string } = {};
      const done = await waitFor(
        async () => {
          last = await api<{ status: string; failure?: string; progress: { done: number; total: number } }>(
            `/api/jobs/${job.id}`,
          );
          return last.status === 'completed' || last.status === 'failed' ? last : undefined;
        },
        JOB_TIMEOUT_MS,
        `job ${job.id} to settle`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(last)}; ${output.slice(-10).join('\n')}`);
      });
      // Assess: the job and its events
      assert.equal(done.status, 'completed', JSON.stringify(done));
      assert.deepEqual((done as { progress?: unknown }).progress, { done: IMAGES, total: IMAGES });
      const events = await api<JobEventView[]>(`/api/jobs/${job.id}/events`);
      assertContiguousSeqs(events);
      const named = events.flatMap((e) => (e.type === 'SourcesAdded' ? (e.data?.sources ?? []) : []));
      assert.equal(named.length, IMAGES, 'every image named once');
      assert.equal(new Set(named.map((s) => s.sourceId)).size, IMAGES, 'no source named twice');
      assert.equal(new Set(named.map((s) => s.entry)).size, IMAGES, 'every zip entry became one source');
      assert.equal(
        events.filter((e) => e.type === 'SourcesAdded').length,
        Math.ceil(IMAGES / SOURCES_PER_EXPANSION_STEP),
      );
      assert.equal(events.filter((e) => e.type === 'SourceUploaded').length, IMAGES);
      const expanded = events.filter((e) => e.type === 'DatasetExpanded');
      assert.equal(expanded.length, 1);
      assert.equal(expanded[0]?.data?.sourceCount, IMAGES);
      const firstStart = events.findIndex((e) => e.type === 'SourceStarted');
      assert.ok(
        events.findIndex((e) => e.type === 'DatasetExpanded') < firstStart,
        'no source is processed before every source is recorded',
      );
      assert.equal(events.filter((e) => e.type === 'JobCompleted').length, 1);
      // Assess: the archive holds one variant per image, in the image's class folder
      const archive = await readZip(
        Buffer.from(await (await fetch(`${stack.url}/api/jobs/${job.id}/archive`)).arrayBuffer()),
      );
      const variants = [...archive.keys()].filter((name) => name.endsWith('.jpg'));
      assert.equal(variants.length, IMAGES);
      for (const label of LABELS)
        assert.equal(variants.filter((name) => name.startsWith(`${label}/`)).length, IMAGES / 3, label);
      const manifest = JSON.parse(archive.get('manifest.json')?.toString('utf8') ?? '{}') as Record<string, unknown>;
      assert.ok(Object.keys(manifest).length > 0, 'a manifest');
      for (const name of variants.slice(0, 5)) assert.equal(archive.get(name)?.subarray(0, 2).toString('hex'), 'ffd8');
    });
  });
});
