import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertContiguousSeqs } from '../helpers/assertions.js';
import { gradientJpeg, jobForm } from '../helpers/images.js';
import { type RunningServer, startServer, waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

interface JobBody {
  id: string;
  status: string;
  progress: { done: number; total: number };
  sources: { sourceId: string; name: string }[];
  tags: string[];
}

/** A JPEG whose frame header claims 65535x65535 pixels: 4.3 gigapixels from a few hundred bytes. */
const jpegBomb = async (): Promise<Buffer> => {
  const jpeg = Buffer.from(await gradientJpeg(16, 16));
  const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
  jpeg.writeUInt16BE(65_535, sof + 5);
  jpeg.writeUInt16BE(65_535, sof + 7);
  return jpeg;
};

describe('the real server over HTTP, on loopback without keys', () => {
  let server: RunningServer;
  let jpeg: Buffer;
  before(async () => {
    server = await startServer({ env: { WORKER_CONCURRENCY: '1', MAX_PIXELS: '40000000' } });
    jpeg = await gradientJpeg(96, 64);
  });
  after(() => server.stop());

  it('creates a job from a multipart upload, reports it, lists it and serves its zip', async () => {
    // Act
    const created = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      body: jobForm([{ name: 'photo.jpg', data: jpeg }], { variants: '3', tags: 'http,demo', seed: '5' }),
    });
    // Assess
    assert.equal(created.status, 202);
    const job = (await created.json()) as JobBody;
    assert.equal(created.headers.get('location'), `/api/jobs/${job.id}`);
    assert.deepEqual(job.progress, { done: 0, total: 3 });
    assert.equal(created.headers.get('x-content-type-options'), 'nosniff');

    const done = await waitFor(
      async () => {
        const state = (await (await fetch(`${server.url}/api/jobs/${job.id}`)).json()) as JobBody;
        return state.status === 'completed' ? state : undefined;
      },
      45_000,
      'the job to complete',
    );
    assert.deepEqual(done.progress, { done: 3, total: 3 });

    const events = (await (await fetch(`${server.url}/api/jobs/${job.id}/events`)).json()) as {
      seq: number;
      type: string;
    }[];
    assertContiguousSeqs(events);
    assert.equal(events[0]?.type, 'JobCreated');
    assert.equal(events.at(-1)?.type, 'JobCompleted');

    const listed = (await (await fetch(`${server.url}/api/jobs?tag=http`)).json()) as { items: JobBody[] };
    assert.deepEqual(
      listed.items.map((j) => j.id),
      [job.id],
    );

    const archive = await fetch(`${server.url}/api/jobs/${job.id}/archive`);
    assert.equal(archive.status, 200);
    assert.equal(archive.headers.get('content-type'), 'application/zip');
    assert.match(archive.headers.get('content-disposition') ?? '', new RegExp(`${job.id}\\.zip`));
    const entries = await readZip(Buffer.from(await archive.arrayBuffer()));
    assert.deepEqual([...entries.keys()].filter((n) => n.endsWith('.jpg')).sort(), [
      'photo_000.jpg',
      'photo_001.jpg',
      'photo_002.jpg',
    ]);

    const sourceId = done.sources[0]?.sourceId;
    const variant = await fetch(`${server.url}/api/jobs/${job.id}/sources/${sourceId}/variants/2`);
    assert.equal(variant.status, 200);
    assert.equal(variant.headers.get('content-type'), 'image/jpeg');
    const recent = (await (await fetch(`${server.url}/api/images/recent`)).json()) as {
      items: { jobId: string; thumbnailUrl: string }[];
    };
    const thumbnail = await fetch(`${server.url}${recent.items[0]?.thumbnailUrl}`);
    assert.equal(thumbnail.status, 200);
    assert.equal(thumbnail.headers.get('content-type'), 'image/webp');

    const deleted = await fetch(`${server.url}/api/jobs/${job.id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal((await fetch(`${server.url}/api/jobs/${job.id}`)).status, 404);
  });

  it('uploads straight to a signed URL, without the gateway carrying the bytes through its API', async () => {
    const created = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ files: [{ name: 'large.jpg', bytes: jpeg.length }], variants: 1 }),
    });
    assert.equal(created.status, 201);
    const job = (await created.json()) as JobBody & { uploads: { url: string }[] };
    const url = job.uploads[0]?.url ?? '';
    assert.ok(url.startsWith(`${server.url}/blobs/`), url);
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(jpeg),
    });
    assert.equal(put.status, 200);
    await waitFor(
      async () => {
        const state = (await (await fetch(`${server.url}/api/jobs/${job.id}`)).json()) as JobBody;
        return state.status === 'completed' ? state : undefined;
      },
      45_000,
      'the signed-upload job to complete',
    );
  });

  it('refuses a bad field with a 400 that names it', async () => {
    const response = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      body: jobForm([{ name: 'a.jpg', data: jpeg }], { variants: '0' }),
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.field, 'variants');
    assert.match(body.error.message, /MAX_VARIANTS/);
  });

  it('refuses a crafted decompression bomb from its header with a 422 naming MAX_PIXELS', async () => {
    const response = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      body: jobForm([{ name: 'bomb.jpg', data: await jpegBomb() }]),
    });
    assert.equal(response.status, 422);
    const body = (await response.json()) as ErrorBody;
    assert.equal(body.error.code, 'TOO_MANY_PIXELS');
    assert.match(body.error.message, /65535x65535/);
    assert.match(body.error.message, /MAX_PIXELS/);
  });

  it('answers the probes, the metrics and the docs', async () => {
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /delta_http_request_duration_seconds_bucket/);
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(doc.paths['/api/jobs/{id}/archive']);
  });
});

describe('the real server over HTTP with API keys', () => {
  const ALICE = 'alice-key-0123456789';
  const BOB = 'bob-key-0123456789ab';
  let server: RunningServer;
  before(async () => {
    server = await startServer({
      env: { API_KEYS: `${ALICE}:alice,${BOB}:bob`, ADMIN_KEY: 'admin-key-0123456789', WORKER_CONCURRENCY: '1' },
    });
  });
  after(() => server.stop());

  it('answers 401 without a key or with a wrong one, and 404 for another owner', async () => {
    assert.equal((await fetch(`${server.url}/api/jobs`)).status, 401);
    const wrong = await fetch(`${server.url}/api/jobs`, { headers: { authorization: 'Bearer wrong-key-0123456789' } });
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as ErrorBody).error.code, 'UNAUTHORIZED');

    const created = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}` },
      body: jobForm([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '1' }),
    });
    assert.equal(created.status, 202);
    const { id } = (await created.json()) as JobBody;
    assert.equal(
      (await fetch(`${server.url}/api/jobs/${id}`, { headers: { authorization: `Bearer ${ALICE}` } })).status,
      200,
    );
    assert.equal(
      (await fetch(`${server.url}/api/jobs/${id}`, { headers: { authorization: `Bearer ${BOB}` } })).status,
      404,
    );
    const queues = await fetch(`${server.url}/api/queues`, { headers: { authorization: `Bearer ${ALICE}` } });
    assert.equal(queues.status, 403);
  });
});
