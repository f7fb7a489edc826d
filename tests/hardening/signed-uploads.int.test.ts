import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { finaliseJob } from '@delta-augment/augmenter';
import type { Clock } from '@delta-augment/core';
import { failLateUploads } from '@delta-augment/gateway';
import { JobService } from '@delta-augment/ports';
import { type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';

interface Upload {
  sourceId: string;
  url: string;
  expiresInSeconds: number;
  bytes?: number;
}
interface Created {
  id: string;
  uploads: Upload[];
  uploadDeadline: string;
}
interface JobView {
  id: string;
  status: string;
  failure?: string;
  sources: { sourceId: string; status: string; failure?: string }[];
}
interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const DEADLINE_SECONDS = 600;

/** Real time plus an offset the test moves forward: the worker pool and the queue keep working. */
const movableClock = () => {
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset };
  return { clock, advance: (seconds: number) => (offset += seconds * 1000) };
};

const pathOf = (url: string) => {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
};

describe('the upload deadline of signed-upload jobs (issue 17, point 8)', () => {
  let t: TestApp;
  let jpeg: Buffer;
  const time = movableClock();
  before(async () => {
    t = await testApp({ workers: true, clock: time.clock, env: { UPLOAD_DEADLINE_SECONDS: String(DEADLINE_SECONDS) } });
    jpeg = await gradientJpeg(40, 30);
  });
  after(() => t.close());

  const create = async (count: number): Promise<Created> => {
    const files = Array.from({ length: count }, (_, i) => ({ name: `f${i}.jpg`, bytes: jpeg.length }));
    const response = await t.app.inject({ method: 'POST', url: '/api/jobs', payload: { files, variants: 1 } });
    assert.equal(response.statusCode, 201, response.body);
    return response.json() as Created;
  };
  const view = async (id: string) => (await t.app.inject({ url: `/api/jobs/${id}` })).json() as JobView;
  const put = (url: string, data: Buffer = jpeg) =>
    t.app.inject({ method: 'PUT', url: pathOf(url), payload: data, headers: { 'content-type': 'image/jpeg' } });
  const jobs = () => new JobService(t.ports.events, t.ports.bus);
  const sweep = () =>
    failLateUploads({
      events: t.ports.events,
      jobs: jobs(),
      blobs: t.ports.blobs,
      clock: time.clock,
      deadlineSeconds: DEADLINE_SECONDS,
      finalise: (jobId) => finaliseJob({ blobs: t.ports.blobs, jobs: jobs() }, jobId),
    });
  const terminalEvents = async (id: string) =>
    ((await t.app.inject({ url: `/api/jobs/${id}/events` })).json() as { type: string }[]).filter(
      (e) => e.type === 'JobCompleted' || e.type === 'JobFailed',
    );

  it('states the deadline and signs URLs that do not outlive it', async () => {
    // Act
    const job = await create(1);
    // Assess
    const { createdAt } = (await t.app.inject({ url: `/api/jobs/${job.id}` })).json() as { createdAt: string };
    const created = Date.parse(createdAt);
    assert.equal(Date.parse(job.uploadDeadline), created + DEADLINE_SECONDS * 1000);
    const seconds = job.uploads[0]?.expiresInSeconds ?? 0;
    assert.ok(seconds <= DEADLINE_SECONDS && seconds >= DEADLINE_SECONDS - 2, String(seconds));
    assert.equal(job.uploads[0]?.bytes, jpeg.length);
  });

  it('fails a job whose uploads never arrive once the deadline passes, with the budget as reason, exactly once', async () => {
    // Prepare
    const job = await create(2);
    time.advance(DEADLINE_SECONDS - 5);
    assert.equal(await sweep(), 0, 'nothing is failed before the deadline');
    assert.equal((await view(job.id)).status, 'created');
    // Act
    time.advance(10);
    const failed = await sweep();
    await sweep();
    // Assess
    assert.ok(failed >= 2);
    const state = await view(job.id);
    assert.equal(state.status, 'failed');
    assert.match(state.failure ?? '', /UPLOAD_DEADLINE_SECONDS/);
    assert.ok(state.sources.every((s) => s.status === 'failed' && /UPLOAD_DEADLINE_SECONDS/.test(s.failure ?? '')));
    assert.equal((await terminalEvents(job.id)).length, 1);
  });

  it('refuses a PUT after the deadline with a 410 naming it, before and after the sweep', async () => {
    // Prepare
    const job = await create(1);
    const url = job.uploads[0]?.url ?? '';
    time.advance(DEADLINE_SECONDS + 1);
    // Act: the URL itself has expired too (it never outlives the deadline), so sign-check aside, the route says why.
    const early = await t.app.inject({ method: 'POST', url: `/api/jobs/${job.id}/uploads` });
    await sweep();
    const late = await t.app.inject({ method: 'POST', url: `/api/jobs/${job.id}/uploads` });
    const replay = await put(url);
    // Assess
    assert.equal(early.statusCode, 410, early.body);
    assert.equal((early.json() as ErrorBody).error.code, 'UPLOAD_DEADLINE_PASSED');
    assert.match((early.json() as ErrorBody).error.message, /UPLOAD_DEADLINE_SECONDS/);
    assert.equal(late.statusCode, 410);
    assert.ok(replay.statusCode === 403 || replay.statusCode === 410, replay.body);
    assert.deepEqual(await t.ports.blobs.list(`sources/${job.id}/`), []);
  });

  it('re-issues URLs before the deadline that expire at it, and does not move it', async () => {
    // Prepare
    const job = await create(1);
    time.advance(DEADLINE_SECONDS - 100);
    // Act
    const response = await t.app.inject({ method: 'POST', url: `/api/jobs/${job.id}/uploads` });
    // Assess
    assert.equal(response.statusCode, 200, response.body);
    const again = response.json() as { uploads: Upload[]; uploadDeadline: string };
    assert.equal(again.uploadDeadline, job.uploadDeadline);
    const seconds = again.uploads[0]?.expiresInSeconds ?? 0;
    assert.ok(seconds <= 100 && seconds >= 95, String(seconds));
    // The re-issued URL works until the deadline.
    assert.equal((await put(again.uploads[0]?.url ?? '')).statusCode, 200);
  });

  it('completes a job with the sources that arrived and fails the one that did not, with one terminal event', async () => {
    // Prepare
    const job = await create(2);
    assert.equal((await put(job.uploads[0]?.url ?? '')).statusCode, 200);
    await waitFor(
      async () => ((await view(job.id)).sources.some((s) => s.status === 'completed') ? true : undefined),
      30_000,
      'the uploaded source to complete',
    );
    // Act
    time.advance(DEADLINE_SECONDS + 1);
    await sweep();
    // Assess
    const state = await waitFor(
      async () => {
        const v = await view(job.id);
        return v.status === 'completed' || v.status === 'failed' ? v : undefined;
      },
      30_000,
      'the job to end',
    );
    assert.equal(state.status, 'completed');
    assert.deepEqual(state.sources.map((s) => s.status).sort(), ['completed', 'failed']);
    assert.equal((await terminalEvents(job.id)).length, 1);
    assert.equal((await t.app.inject({ url: `/api/jobs/${job.id}/archive` })).statusCode, 200);
  });

  it('leaves alone a source whose object arrived but whose notification is still on its way', async () => {
    // Prepare: the object is stored without going through the worker yet.
    const job = await create(1);
    await t.pool?.stop(5000);
    const source = (await view(job.id)).sources[0];
    const key = (await jobs().loadSource(job.id, source?.sourceId ?? ''))?.key ?? '';
    await t.ports.blobs.put(key, jpeg, { contentType: 'image/jpeg' });
    time.advance(DEADLINE_SECONDS + 1);
    // Act
    await sweep();
    // Assess
    assert.notEqual((await view(job.id)).sources[0]?.status, 'failed');
    t.pool?.start();
  });
});

describe('signed PUT URLs (issue 17, point 13)', () => {
  let t: TestApp;
  let base: string;
  let jpeg: Buffer;
  before(async () => {
    t = await testApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    jpeg = await gradientJpeg(120, 90);
  });
  after(() => t.close());

  const create = async (bytes = jpeg.length): Promise<Created> => {
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { files: [{ name: 'a.jpg', bytes }] },
    });
    return response.json() as Created;
  };
  const put = async (url: string, data: Buffer) => {
    const response = await fetch(`${base}${pathOf(url)}`, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg' },
      body: new Uint8Array(data),
    });
    return { status: response.status, body: (await response.json()) as ErrorBody & { bytes?: number } };
  };

  it('are single-use under concurrency: of two PUTs sent at once, one stores, the other gets a 409', async () => {
    // Prepare
    const job = await create();
    const url = job.uploads[0]?.url ?? '';
    // Act
    const answers = await Promise.all([put(url, jpeg), put(url, jpeg)]);
    // Assess
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409]);
    assert.equal(answers.find((a) => a.status === 409)?.body.error.code, 'ALREADY_UPLOADED');
    const messages = await t.ports.queue.peek('uploads', { max: 100 });
    assert.equal(messages.filter((m) => m.body.includes(job.id)).length, 1, 'one ObjectCreated message');
  });

  it('refuse a second PUT while the first is still streaming its body', async () => {
    // Prepare: the first PUT sends half its bytes and waits.
    const job = await create();
    const url = new URL(`${base}${pathOf(job.uploads[0]?.url ?? '')}`);
    const first = httpRequest(url, {
      method: 'PUT',
      headers: { 'content-type': 'image/jpeg', 'content-length': jpeg.length },
    });
    const firstAnswer = new Promise<number>((resolve, reject) => {
      first.on('response', (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      first.on('error', reject);
    });
    first.write(jpeg.subarray(0, jpeg.length >> 1));
    await waitFor(
      async () => ((await t.app.inject({ url: '/healthz' })).statusCode === 200 ? true : undefined),
      5000,
      'the first PUT to be under way',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Act
    const second = await put(url.href, jpeg);
    first.end(jpeg.subarray(jpeg.length >> 1));
    // Assess
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.equal(await firstAnswer, 200);
  });

  it('refuse more bytes than declared with a 413 and fewer with a 400, store nothing, and stay usable', async () => {
    // Prepare
    const job = await create();
    const url = job.uploads[0]?.url ?? '';
    const key = (await t.ports.blobs.list(`sources/${job.id}/`))[0];
    // Act
    const more = await put(url, Buffer.concat([jpeg, Buffer.alloc(10)]));
    const fewer = await put(url, jpeg.subarray(0, jpeg.length - 10));
    // Assess
    assert.equal(more.status, 413, JSON.stringify(more.body));
    assert.match(more.body.error.message, /declared/);
    assert.equal(fewer.status, 400, JSON.stringify(fewer.body));
    assert.equal(fewer.body.error.code, 'SIZE_MISMATCH');
    assert.equal(key, undefined);
    assert.deepEqual(await t.ports.blobs.list(`sources/${job.id}/`), []);
    assert.equal((await put(url, jpeg)).status, 200, 'the exact bytes are taken');
  });

  it('count the bytes of a chunked body (no content-length) against the declared size too', async () => {
    // Prepare
    const job = await create();
    const url = new URL(`${base}${pathOf(job.uploads[0]?.url ?? '')}`);
    const chunked = (data: Buffer) =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' } });
        req.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write(data.subarray(0, 100));
        req.end(data.subarray(100));
      });
    // Act
    const more = await chunked(Buffer.concat([jpeg, Buffer.alloc(5000)]));
    const fewer = await chunked(jpeg.subarray(0, jpeg.length - 1));
    // Assess
    assert.equal(more, 413);
    assert.equal(fewer, 400);
    assert.deepEqual(await t.ports.blobs.list(`sources/${job.id}/`), []);
  });
});
