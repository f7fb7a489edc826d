import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { JobState } from '@delta-augment/core';
import { isSafeKey, UPLOAD_QUEUE } from '@delta-augment/ports';
import type { LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';
import { gifBomb, jpegBomb, NOT_IMAGES, pngBomb, polyglot, webpBomb, zip } from './hostile-files.js';
import { assertNothingLost } from './invariants.js';

const ALICE = 'alice-key-0123456789abcdef';
const BOB = 'bob-key-0123456789abcdefgh';
const ADMIN = 'admin-key-0123456789abcdef';
const MAX_FILE_BYTES = 2_000_000;

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

/** A client error: a 4xx status and the API's error body, never a 5xx. */
const assertClientError = (response: LightMyRequestResponse, status?: number, code?: string) => {
  assert.ok(
    response.statusCode >= 400 && response.statusCode < 500,
    `expected a 4xx, got ${response.statusCode}: ${response.body.slice(0, 300)}`,
  );
  if (status !== undefined) assert.equal(response.statusCode, status, response.body.slice(0, 300));
  const { error } = response.json() as { error: { code: string; message: string } };
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  if (code !== undefined) assert.equal(error.code, code, error.message);
  return error;
};

const rss = () => process.resourceUsage().maxRSS * 1024;

describe('hostile input on every HTTP entry point', () => {
  let t: TestApp;
  let jpeg: Buffer;
  /** Jobs the service accepted: each must end in a terminal event with nothing lost. */
  const accepted: string[] = [];
  const peakBefore = { rss: 0 };

  before(async () => {
    t = await testApp({
      workers: true,
      env: {
        API_KEYS: `${ALICE}:alice,${BOB}:bob`,
        ADMIN_KEY: ADMIN,
        MAX_FILE_BYTES: String(MAX_FILE_BYTES),
        MAX_REQUEST_BYTES: '8000000',
        MAX_FILES_PER_JOB: '20',
        WORKER_CONCURRENCY: '1',
        RATE_LIMIT_PER_MINUTE: '1000000',
      },
    });
    jpeg = await gradientJpeg(160, 120);
    peakBefore.rss = rss();
  });
  after(() => t.close());

  const upload = (
    files: { name: string; data: Buffer; type?: string; field?: string }[],
    fields: Record<string, string> = {},
    key = ALICE,
  ) => {
    const body = multipartBody(files, { variants: '2', ...fields });
    return t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: body.payload,
      headers: { ...body.headers, ...auth(key) },
    });
  };
  const acceptedJob = (response: LightMyRequestResponse): JobState => {
    assert.ok([201, 202].includes(response.statusCode), `${response.statusCode}: ${response.body.slice(0, 300)}`);
    const job = response.json() as JobState;
    accepted.push(job.id);
    return job;
  };
  const ended = (id: string) =>
    waitFor(
      async () => {
        const state = await t.ports.events.load(id);
        if (state?.status !== 'completed' && state?.status !== 'failed') return undefined;
        return { ...state, sources: (await t.ports.events.sources(id, { limit: 1000 })).items };
      },
      60_000,
      `job ${id} to end`,
    );
  const jsonPost = (payload: string | object, key = ALICE) =>
    t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { 'content-type': 'application/json', ...auth(key) },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const pathOf = (url: string) => {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  };
  /** A signed-upload job; it counts as accepted once a PUT of its file succeeds. */
  /** A signed-upload job of one file; its PUT must carry exactly `bytes` (default: the test JPEG's size). */
  const signedJob = async (name: string, bytes = jpeg.length) => {
    const response = await jsonPost({ files: [{ name, bytes }], variants: 2 });
    assert.equal(response.statusCode, 201, response.body.slice(0, 300));
    const job = response.json() as { id: string; uploads: { url: string }[] };
    const signed = job.uploads[0]?.url ?? '';
    const key = new URL(signed).pathname
      .replace(/^\/blobs\//, '')
      .split('/')
      .map(decodeURIComponent)
      .join('/');
    return { job, url: pathOf(signed), key };
  };
  const put = async (url: string, data: Buffer, type = 'image/jpeg') => {
    const response = await t.app.inject({ method: 'PUT', url, payload: data, headers: { 'content-type': type } });
    const jobId = /\/blobs\/sources\/(j_[A-Za-z0-9_-]{22})\//.exec(url)?.[1];
    if (response.statusCode === 200 && jobId) accepted.push(jobId);
    return response;
  };

  describe('multipart uploads', () => {
    it('refuses an empty file with a 400', async () => {
      assertClientError(await upload([{ name: 'empty.jpg', data: Buffer.alloc(0) }]), 400);
    });

    for (const [kind, data] of Object.entries(NOT_IMAGES)) {
      it(`refuses ${kind} sent as image/jpeg, from its bytes`, async () => {
        const error = assertClientError(await upload([{ name: 'photo.jpg', data, type: 'image/jpeg' }]));
        // Bytes that are no image are refused by type; fake magic numbers fail at the header (unreadable, or
        // "GIF89a<s…" read as a 29500-pixel-wide screen).
        assert.match(error.code, /UNSUPPORTED_MEDIA_TYPE|CORRUPT_IMAGE|TOO_MANY_PIXELS/);
      });
    }

    it('refuses a JPEG cut off inside its header with a 422', async () => {
      assertClientError(await upload([{ name: 'cut.jpg', data: jpeg.subarray(0, 12) }]), 422);
    });

    it('accepts a JPEG cut off in its scan data, and the job fails with the decoder reason', async () => {
      const job = acceptedJob(
        await upload([{ name: 'cut.jpg', data: jpeg.subarray(0, Math.floor(jpeg.length * 0.6)) }]),
      );
      const state = await ended(job.id);
      assert.equal(state.status, 'failed');
      assert.match(state.failure ?? '', /could not be decoded|not a readable image/);
    });

    it('refuses a multipart body that ends before its closing boundary with a 4xx', async () => {
      const body = multipartBody([{ name: 'a.jpg', data: jpeg }]);
      const cut = body.payload.subarray(0, body.payload.length - 20);
      assertClientError(
        await t.app.inject({
          method: 'POST',
          url: '/api/jobs',
          payload: cut,
          headers: { ...body.headers, ...auth(ALICE) },
        }),
      );
    });

    it('refuses multipart without a boundary with a 4xx', async () => {
      assertClientError(
        await t.app.inject({
          method: 'POST',
          url: '/api/jobs',
          payload: 'abc',
          headers: { 'content-type': 'multipart/form-data', ...auth(ALICE) },
        }),
      );
    });

    it('treats a JPEG+HTML+zip polyglot as the JPEG it starts with, and serves only re-encoded images', async () => {
      const job = acceptedJob(await upload([{ name: 'poly.jpg', data: polyglot(jpeg) }]));
      const state = await ended(job.id);
      assert.equal(state.status, 'completed');
      const sourceId = state.sources[0]?.sourceId;
      const variant = await t.app.inject({
        url: `/api/jobs/${job.id}/sources/${sourceId}/variants/0`,
        headers: auth(ALICE),
      });
      assert.equal(variant.statusCode, 200);
      assert.match(String(variant.headers['content-type']), /^image\//);
      assert.equal(variant.headers['x-content-type-options'], 'nosniff');
      assert.equal(variant.rawPayload.includes('<script>'), false, 'the appended page is gone');
      assert.equal(variant.rawPayload.includes(Buffer.from([0x50, 0x4b, 0x03, 0x04])), false, 'so is the zip');
    });

    it('refuses a file over MAX_FILE_BYTES with a 413 naming the limit', async () => {
      const big = Buffer.concat([jpeg, Buffer.alloc(MAX_FILE_BYTES)]);
      const error = assertClientError(await upload([{ name: 'big.jpg', data: big }]), 413);
      assert.match(error.message, /MAX_FILE_BYTES/);
    });

    it('keeps unicode and URL-encoded names safe and processes them', async () => {
      const job = acceptedJob(
        await upload([
          { name: 'a b+c%ü.jpg', data: jpeg },
          { name: '..%2F..%2Fetc%2Fpasswd.jpg', data: jpeg },
          { name: '../../escape.jpg', data: jpeg },
        ]),
      );
      const state = await ended(job.id);
      assert.equal(state.status, 'completed');
      for (const source of state.sources) {
        assert.ok(isSafeKey(source.key), source.key);
        assert.match(source.key, new RegExp(`^sources/${job.id}/s_[A-Za-z0-9_-]{22}/[^/]+$`));
      }
      const archive = await t.app.inject({ url: `/api/jobs/${job.id}/archive`, headers: auth(ALICE) });
      const names = [...(await readZip(archive.rawPayload)).keys()];
      assert.ok(
        names.every((n) => !n.startsWith('/') && !n.includes('\\') && n.split('/').every((p) => p !== '..')),
        names.join(', '),
      );
      assert.equal(names.filter((n) => n.endsWith('.jpg')).length, 6);
    });
  });

  describe('decompression bombs', () => {
    const bombs: [string, () => Promise<Buffer>][] = [
      ['PNG (a valid 400-megapixel image in 50 KB)', () => pngBomb()],
      ['JPEG (a header claiming 65000x65000)', jpegBomb],
      ['WebP (a header claiming 16383x16383)', webpBomb],
      ['GIF (a header claiming 65535x65535)', gifBomb],
    ];
    for (const [kind, make] of bombs) {
      it(`refuses a ${kind} upload from its header with a 422`, async () => {
        const data = await make();
        const error = assertClientError(await upload([{ name: 'bomb.png', data }]), 422);
        assert.match(error.message, /MAX_PIXELS|pixel/);
      });
    }

    it('fails a bomb that arrives through a signed upload, in the worker, with the limit as reason', async () => {
      const bomb = await pngBomb();
      const { job, url } = await signedJob('bomb.png', bomb.length);
      assert.equal((await put(url, bomb, 'image/png')).statusCode, 200);
      const state = await ended(job.id);
      assert.equal(state.status, 'failed');
      assert.match(state.failure ?? '', /MAX_PIXELS/);
    });

    it('keeps the peak memory of the process bounded', () => {
      const growth = rss() - peakBefore.rss;
      assert.ok(growth < 256 * 1024 * 1024, `peak RSS grew by ${Math.round(growth / 1048576)} MiB`);
    });
  });

  describe('dataset zips', () => {
    const image = { name: 'cats/a.jpg', data: Buffer.alloc(0) };
    before(() => {
      image.data.length === 0 && Object.assign(image, { data: jpeg });
    });

    it('refuses a zip bomb whose entry inflates past MAX_FILE_BYTES with a 413', async () => {
      const bomb = zip([image, { name: 'cats/bomb.jpg', data: Buffer.alloc(32 * 1024 * 1024) }]);
      assert.ok(bomb.length < 100_000);
      assertClientError(await upload([{ name: 'set.zip', data: bomb, type: 'application/zip' }]), 413);
    });

    it('stops a zip bomb whose headers lie about its size while it inflates', async () => {
      const liar = zip([image, { name: 'cats/liar.jpg', data: Buffer.alloc(32 * 1024 * 1024), declaredSize: 1000 }]);
      assertClientError(await upload([{ name: 'set.zip', data: liar, type: 'application/zip' }]));
    });

    it('refuses more images than MAX_FILES_PER_JOB with a 413', async () => {
      const many = zip(Array.from({ length: 25 }, (_, i) => ({ name: `cats/${i}.jpg`, data: jpeg })));
      assertClientError(await upload([{ name: 'set.zip', data: many, type: 'application/zip' }]), 413);
    });

    it('refuses a truncated zip and a zip of no images with a 4xx', async () => {
      const good = zip([image]);
      assertClientError(await upload([{ name: 'cut.zip', data: good.subarray(0, good.length - 30) }]));
      const nested = zip([
        { name: 'inner.zip', data: good },
        { name: 'notes.txt', data: Buffer.from('hi') },
      ]);
      assertClientError(await upload([{ name: 'nested.zip', data: nested }]), 400);
    });

    it('never lets a zip-slip entry name a path: refused with a 4xx, or kept inside the job as a plain name', async () => {
      const slip = zip([
        image,
        { name: '../../evil-1.jpg', data: jpeg },
        { name: '/tmp/evil-2.jpg', data: jpeg },
        { name: 'cats/../../evil-3.jpg', data: jpeg },
        { name: 'C:\\windows\\evil-4.jpg', data: jpeg },
        { name: 'dogs\\..\\..\\evil-5.jpg', data: jpeg },
      ]);
      const response = await upload([{ name: 'slip.zip', data: slip, type: 'application/zip' }]);
      if (response.statusCode >= 400) {
        assert.match(assertClientError(response).message, /unsafe|path/i);
      } else {
        const state = await ended(acceptedJob(response).id);
        for (const source of state.sources) {
          assert.ok(isSafeKey(source.key), source.key);
          assert.doesNotMatch(source.label, /[/\\]|^\.\.?$/);
          assert.doesNotMatch(source.name, /[/\\]/);
        }
      }
      const outside = readdirSync(dirname(t.config.dataDir)).filter((f) => f.startsWith('evil'));
      assert.deepEqual(outside, [], 'nothing was written next to the data directory');
      const sources = join(t.config.dataDir, 'blobs', 'objects', 'sources');
      assert.ok(readdirSync(sources).every((d) => /^j_[A-Za-z0-9_-]{22}$/.test(d)));
    });
  });

  describe('pipeline JSON and JSON bodies', () => {
    it('refuses a deeply nested pipeline with a 400', async () => {
      const deep = `{"steps":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
      assertClientError(await upload([{ name: 'a.jpg', data: jpeg }], { pipeline: deep }), 400);
    });

    it('refuses a pipeline over its size limit with a 4xx', async () => {
      const steps = Array.from({ length: 2000 }, () => ({ op: 'flip', probability: 0.5, direction: 'horizontal' }));
      assertClientError(await upload([{ name: 'a.jpg', data: jpeg }], { pipeline: JSON.stringify({ steps }) }));
    });

    it('refuses a JSON body over 1 MiB with a 413', async () => {
      assertClientError(
        await jsonPost({ files: [{ name: 'a.jpg', bytes: 10 }], pipeline: 'x'.repeat(1_100_000) }),
        413,
      );
    });

    it('refuses deeply nested, truncated, prototype-polluting and mistyped JSON bodies with a 400', async () => {
      const nested = `{"files":[{"name":"a.jpg","bytes":10}],"pipeline":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
      for (const body of [
        nested,
        '{"files":[{"name":"a.jpg","bytes":10}]',
        '{"files":[{"name":"a.jpg","bytes":10}],"__proto__":{"admin":true}}',
        '{"files":"a.jpg"}',
        '{"files":[{"name":"a.jpg","bytes":1e400}]}',
        '[]',
        'null',
      ]) {
        assertClientError(await jsonPost(body), 400);
      }
    });
  });

  describe('signed uploads', () => {
    it('takes a unicode, URL-encoded name through the signed PUT and the worker to a completed job', async () => {
      const { job, url, key } = await signedJob('a b+c%ü #?.jpg');
      assert.ok(isSafeKey(key));
      assert.equal((await put(url, jpeg)).statusCode, 200);
      assert.equal((await ended(job.id)).status, 'completed');
    });

    it('refuses a replayed signed PUT with a 409, and queues exactly one message', async () => {
      // Prepare: count the messages sent for this object (the workers consume them, so a peek cannot tell)
      const { url, key } = await signedJob('once.jpg');
      const sent: string[] = [];
      const { queue } = t.ports;
      const send = queue.send.bind(queue);
      queue.send = (name, body, options) => {
        if (name === UPLOAD_QUEUE && body.includes(encodeURIComponent(key.split('/')[2] ?? ''))) sent.push(body);
        return send(name, body, options);
      };
      try {
        // Act
        const first = await put(url, jpeg);
        const replay = await put(url, jpeg);
        // Assess
        assert.equal(first.statusCode, 200);
        assertClientError(replay, 409);
        assert.equal(sent.length, 1, 'one upload message for the object: neither lost nor sent twice');
      } finally {
        queue.send = send;
      }
    });

    it('refuses a tampered signature, and a signature moved to another key, with a 403', async () => {
      const { url } = await signedJob('a.jpg');
      const other = await signedJob('b.jpg');
      const tampered = url.replace(/signature=([^&])/, (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`);
      assertClientError(await put(tampered, jpeg), 403);
      const moved = `${other.url.split('?')[0]}?${url.split('?')[1]}`;
      assertClientError(await put(moved, jpeg), 403);
      for (const u of [url, other.url]) assert.equal((await put(u, jpeg)).statusCode, 200);
    });

    it('refuses a body over MAX_FILE_BYTES with a 413 and stores nothing', async () => {
      const { url, key } = await signedJob('big.jpg');
      assertClientError(await put(url, Buffer.concat([jpeg, Buffer.alloc(MAX_FILE_BYTES)])), 413);
      assert.equal(await t.ports.blobs.head(key), undefined);
      assert.equal((await put(url, jpeg)).statusCode, 200, 'the URL can still be used once');
    });

    it('refuses HTML put as image/jpeg with a 415 and stores nothing', async () => {
      const { url, key } = await signedJob('page.jpg');
      // As many bytes as declared, so that the type check (not the size check) is the one that refuses it.
      const html = Buffer.alloc(jpeg.length, ' ');
      (NOT_IMAGES.html ?? Buffer.alloc(0)).copy(html);
      assertClientError(await put(url, html), 415);
      assert.equal(await t.ports.blobs.head(key), undefined);
      assert.equal((await put(url, jpeg)).statusCode, 200);
    });
  });

  describe("another owner's ids", () => {
    it('answers 404 for every route of a job that belongs to someone else', async () => {
      const job = acceptedJob(await upload([{ name: 'mine.jpg', data: jpeg }], {}, ALICE));
      const state = await ended(job.id);
      const sourceId = state.sources[0]?.sourceId;
      for (const [method, url] of [
        ['GET', `/api/jobs/${job.id}`],
        ['GET', `/api/jobs/${job.id}/events`],
        ['GET', `/api/jobs/${job.id}/archive`],
        ['GET', `/api/jobs/${job.id}/sources/${sourceId}/thumbnail`],
        ['GET', `/api/jobs/${job.id}/sources/${sourceId}/variants/0`],
        ['DELETE', `/api/jobs/${job.id}`],
      ] as const) {
        assertClientError(await t.app.inject({ method, url, headers: auth(BOB) }), 404);
      }
      const retry = await t.app.inject({ method: 'POST', url: `/api/jobs/${job.id}/retry`, headers: auth(BOB) });
      assert.ok([403, 404].includes(retry.statusCode));
      const list = await t.app.inject({ url: '/api/jobs', headers: auth(BOB) });
      assert.equal(
        (list.json() as { items: { id: string }[] }).items.some((j) => j.id === job.id),
        false,
      );
      assertClientError(await t.app.inject({ url: '/api/queues', headers: auth(BOB) }), 403);
      assert.equal((await t.app.inject({ url: `/api/jobs/${job.id}`, headers: auth(ALICE) })).statusCode, 200);
    });
  });

  describe('after all of it', () => {
    it('is still healthy, still takes a normal upload, and lost nothing it accepted', async () => {
      assert.equal((await t.app.inject({ url: '/healthz' })).statusCode, 200);
      assert.equal((await t.app.inject({ url: '/readyz' })).statusCode, 200);
      const job = acceptedJob(await upload([{ name: 'ok.jpg', data: jpeg }]));
      assert.equal((await ended(job.id)).status, 'completed');
      for (const id of accepted) await ended(id);
      await assertNothingLost({
        events: t.ports.events,
        queue: t.ports.queue,
        jobIds: accepted,
        requireTerminal: true,
      });
    });
  });
});

describe('hostile input: expired signed URLs and rate-limit bursts', () => {
  it('refuses a signed PUT after its expiry with a 403', async () => {
    // Prepare: a clock the test moves
    let skew = 0;
    const t = await testApp({ clock: { now: () => Date.now() + skew } });
    try {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { files: [{ name: 'a.jpg', bytes: 100 }] },
      });
      const url = new URL((created.json() as { uploads: { url: string }[] }).uploads[0]?.url ?? '');
      // Act
      skew = 16 * 60_000;
      const late = await t.app.inject({
        method: 'PUT',
        url: `${url.pathname}${url.search}`,
        payload: await gradientJpeg(),
        headers: { 'content-type': 'image/jpeg' },
      });
      // Assess
      const error = assertClientError(late, 403);
      assert.match(error.message, /expired/);
    } finally {
      await t.close();
    }
  });

  it('answers a burst over RATE_LIMIT_PER_MINUTE with 429 and retry-after, and keeps /healthz up', async () => {
    // Over real HTTP: app.inject runs a burst in one tick, where @fastify/rate-limit's counter is shared
    const t = await testApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
    try {
      const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const responses = await Promise.all(Array.from({ length: 12 }, () => fetch(`${url}/api/jobs`)));
      const limited = responses.filter((r) => r.status === 429);
      assert.equal(responses.filter((r) => r.status === 200).length, 5);
      assert.equal(limited.length, 7);
      for (const r of limited) {
        assert.match(r.headers.get('retry-after') ?? '', /^\d+$/);
        const { error } = (await r.json()) as { error: { code: string; message: string } };
        assert.equal(error.code, 'RATE_LIMITED');
        assert.match(error.message, /RATE_LIMIT_PER_MINUTE/);
      }
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
    } finally {
      await t.close();
    }
  });
});

/** Keeps sharp's cache from holding decoded images across tests (memory is measured). */
sharp.cache(false);
