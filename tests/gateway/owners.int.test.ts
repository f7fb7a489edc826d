import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';
import { bearer, errorOf } from './fixtures.js';

const ALICE = 'alice-key-0123456789';
const BOB = 'bob-key-0123456789ab';
const ADMIN = 'admin-key-0123456789';

describe('when API keys are configured', () => {
  let t: TestApp;
  let jobId: string;
  let sourceId: string;
  before(async () => {
    t = await testApp({ workers: true, env: { API_KEYS: `${ALICE}:alice,${BOB}:bob`, ADMIN_KEY: ADMIN } });
    const form = multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '2', tags: 'mine' });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: form.payload,
      headers: { ...form.headers, ...bearer(ALICE) },
    });
    assert.equal(created.statusCode, 202, created.body);
    jobId = created.json().id;
    sourceId = created.json().sources[0].sourceId;
    await waitFor(
      async () => {
        const r = await t.app.inject({ url: `/api/jobs/${jobId}`, headers: bearer(ALICE) });
        return r.json().status === 'completed' ? true : undefined;
      },
      30_000,
      "alice's job to complete",
    );
  });
  after(() => t.close());

  const jobUrls = () => [
    `/api/jobs/${jobId}`,
    `/api/jobs/${jobId}/events`,
    `/api/jobs/${jobId}/archive`,
    `/api/jobs/${jobId}/sources/${sourceId}/variants/0`,
    `/api/jobs/${jobId}/sources/${sourceId}/thumbnail`,
  ];

  it('gives every job an unguessable id of 128 random bits', () => {
    assert.match(jobId, /^j_[A-Za-z0-9_-]{22}$/);
    assert.match(sourceId, /^s_[A-Za-z0-9_-]{22}$/);
  });

  for (const [what, headers] of [
    ['without a key', {}],
    ['with an unknown key', bearer('not-a-key-0123456789')],
    ['with a malformed header', { authorization: ALICE }],
  ] as const) {
    it(`answers 401 ${what}, on every /api route`, async () => {
      for (const url of [...jobUrls(), '/api/jobs', '/api/images/recent', '/api/queues', '/api/presets']) {
        const response = await t.app.inject({ url, headers });
        assert.equal(response.statusCode, 401, url);
        assert.equal(errorOf(response).code, 'UNAUTHORIZED');
      }
      const form = multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }]);
      const post = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: form.payload,
        headers: { ...form.headers, ...headers },
      });
      assert.equal(post.statusCode, 401);
    });
  }

  it('lets the owner read the job, its events, zip, variants and thumbnail', async () => {
    for (const url of jobUrls()) {
      const response = await t.app.inject({ url, headers: bearer(ALICE) });
      assert.equal(response.statusCode, 200, url);
    }
  });

  it('accepts the key as ?token= on links', async () => {
    const response = await t.app.inject({ url: `/api/jobs/${jobId}/archive?token=${ALICE}` });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'application/zip');
  });

  it('answers 404 to another owner for everything about the job, as if it did not exist', async () => {
    for (const url of jobUrls()) {
      const response = await t.app.inject({ url, headers: bearer(BOB) });
      assert.equal(response.statusCode, 404, url);
      assert.equal(errorOf(response).code, 'NOT_FOUND');
    }
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/jobs/${jobId}`, headers: bearer(BOB) });
    assert.equal(deleted.statusCode, 404);
    assert.equal((await t.app.inject({ url: `/api/jobs/${jobId}`, headers: bearer(ALICE) })).statusCode, 200);
  });

  it("keeps another owner's jobs out of lists, searches and recent images", async () => {
    const list = await t.app.inject({ url: '/api/jobs', headers: bearer(BOB) });
    assert.deepEqual(list.json().items, []);
    const search = await t.app.inject({ url: `/api/jobs?q=${jobId}`, headers: bearer(BOB) });
    assert.deepEqual(search.json().items, []);
    const byTag = await t.app.inject({ url: '/api/jobs?tag=mine', headers: bearer(BOB) });
    assert.deepEqual(byTag.json().items, []);
    const recent = await t.app.inject({ url: '/api/images/recent', headers: bearer(BOB) });
    assert.deepEqual(recent.json().items, []);

    const own = await t.app.inject({ url: '/api/jobs', headers: bearer(ALICE) });
    assert.deepEqual(
      own.json().items.map((j: { id: string }) => j.id),
      [jobId],
    );
    const ownRecent = await t.app.inject({ url: '/api/images/recent', headers: bearer(ALICE) });
    assert.equal(ownRecent.json().items[0].jobId, jobId);
  });

  it('lets the admin key see every job', async () => {
    const list = await t.app.inject({ url: '/api/jobs', headers: bearer(ADMIN) });
    assert.ok(list.json().items.some((j: { id: string }) => j.id === jobId));
    for (const url of jobUrls()) {
      assert.equal((await t.app.inject({ url, headers: bearer(ADMIN) })).statusCode, 200, url);
    }
  });

  it('answers 403 to a non-admin key on queue operations, and serves the admin', async () => {
    const routes = [
      { method: 'GET', url: '/api/queues' },
      { method: 'GET', url: '/api/queues/uploads-dlq/messages' },
      { method: 'POST', url: '/api/queues/uploads-dlq/redrive' },
      { method: 'POST', url: '/api/queues/uploads-dlq/purge' },
      { method: 'POST', url: `/api/jobs/${jobId}/retry` },
    ] as const;
    for (const route of routes) {
      const denied = await t.app.inject({ ...route, headers: bearer(ALICE) });
      assert.equal(denied.statusCode, 403, route.url);
      assert.equal(errorOf(denied).code, 'FORBIDDEN');
    }
    for (const route of routes) {
      const allowed = await t.app.inject({ ...route, headers: bearer(ADMIN) });
      assert.ok(allowed.statusCode === 200 || allowed.statusCode === 202, `${route.url}: ${allowed.statusCode}`);
    }
  });

  it('lets the owner delete the job, and nobody sees it afterwards', async () => {
    const deleted = await t.app.inject({ method: 'DELETE', url: `/api/jobs/${jobId}`, headers: bearer(ALICE) });
    assert.equal(deleted.statusCode, 204);
    for (const key of [ALICE, ADMIN]) {
      assert.equal((await t.app.inject({ url: `/api/jobs/${jobId}`, headers: bearer(key) })).statusCode, 404);
    }
    assert.deepEqual(await t.ports.blobs.list(`sources/${jobId}/`), []);
    assert.deepEqual(await t.ports.blobs.list(`results/${jobId}/`), []);
  });

  it('needs no key for the probes', async () => {
    assert.equal((await t.app.inject('/healthz')).statusCode, 200);
    assert.equal((await t.app.inject('/readyz')).statusCode, 200);
  });
});

describe('when no keys are configured but the gateway listens beyond loopback', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { HOST: '0.0.0.0' } });
  });
  after(() => t.close());

  it('refuses every /api call: there is no open mode off loopback', async () => {
    const response = await t.app.inject('/api/jobs');
    assert.equal(response.statusCode, 401);
  });
});
