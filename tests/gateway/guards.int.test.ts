import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { readUntilClose, startRawUpload } from '../helpers/raw-upload.js';
import { errorOf } from './fixtures.js';

const KEY = 'key-of-owner-a-0123456789';
const ADMIN = 'admin-key-0123456789abcdef';
const keyed = { API_KEYS: `${KEY}:owner-a`, ADMIN_KEY: ADMIN };

describe('open mode serves the local user only', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { ALLOWED_HOSTS: 'box.lan' } });
  });
  after(() => t.close());

  it('refuses a request whose Host is not a local name (DNS rebinding), on every route', async () => {
    // Act
    const responses = await Promise.all(
      ['/api/jobs', '/api/queues', '/healthz'].map((url) =>
        t.app.inject({ url, headers: { host: 'evil.example:8080' } }),
      ),
    );
    // Assess
    for (const response of responses) {
      assert.equal(response.statusCode, 403);
      assert.equal(errorOf(response).code, 'HOST_NOT_ALLOWED');
      assert.match(errorOf(response).message, /ALLOWED_HOSTS/);
    }
  });

  it('answers loopback names, the listen address and ALLOWED_HOSTS', async () => {
    for (const host of ['127.0.0.1:8080', 'localhost', '[::1]:8080', 'box.lan:8080', 'LOCALHOST:1']) {
      const response = await t.app.inject({ url: '/api/jobs', headers: { host } });
      assert.equal(response.statusCode, 200, host);
    }
  });

  it("refuses a state change from another origin's page (the purge repro), and keeps the queue", async () => {
    // Act
    const purge = await t.app.inject({
      method: 'POST',
      url: '/api/queues/uploads/purge',
      headers: { host: '127.0.0.1:8080', origin: 'http://evil.example', 'content-type': 'text/plain' },
      payload: 'x',
    });
    const nullOrigin = await t.app.inject({
      method: 'POST',
      url: '/api/queues/uploads/purge',
      headers: { host: '127.0.0.1:8080', origin: 'null' },
    });
    const otherPort = await t.app.inject({
      method: 'DELETE',
      url: '/api/jobs/j_0123456789abcdef0123456789abcdef',
      headers: { host: '127.0.0.1:8080', origin: 'http://127.0.0.1:9999' },
    });
    // Assess
    assert.equal(purge.statusCode, 403);
    assert.equal(errorOf(purge).code, 'CROSS_ORIGIN');
    assert.equal(errorOf(purge).field, 'origin');
    assert.equal(nullOrigin.statusCode, 403);
    assert.equal(otherPort.statusCode, 403);
  });

  it("creates a job from the page's own origin, and from clients that send no Origin", async () => {
    // Prepare
    const form = multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '1' });
    // Act
    const samePage = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: form.payload,
      headers: { ...form.headers, host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080' },
    });
    const curl = await t.app.inject({ method: 'POST', url: '/api/jobs', ...form });
    // Assess
    assert.equal(samePage.statusCode, 202);
    assert.equal(curl.statusCode, 202);
  });

  it('refuses the content types a browser sends without a preflight on JSON routes', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      // Act
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/queues/uploads/purge',
        headers: { 'content-type': type },
        payload: 'x',
      });
      // Assess
      assert.equal(response.statusCode, 415, type);
      assert.equal(errorOf(response).code, 'UNSUPPORTED_MEDIA_TYPE');
      assert.equal(errorOf(response).field, 'content-type');
    }
    const textJob = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { 'content-type': 'text/plain' },
      payload: '{"files":[{"name":"a.jpg","bytes":10}]}',
    });
    assert.equal(textJob.statusCode, 415);
  });
});

describe('authentication on a keyed instance', () => {
  let t: TestApp;
  let jobId: string;
  before(async () => {
    t = await testApp({ env: keyed });
    const form = multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '1' });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: form.payload,
      headers: { ...form.headers, authorization: `Bearer ${KEY}` },
    });
    jobId = created.json().id;
  });
  after(() => t.close());

  it('is decided on the routed path: %-encoded paths need the key too', async () => {
    for (const url of ['/%61pi/presets', '/%61pi/jobs', '/api/%6aobs', `/%61pi/jobs/${jobId}`, '/%61pi/queues']) {
      const response = await t.app.inject(url);
      assert.equal(response.statusCode, 401, url);
      assert.equal(errorOf(response).code, 'UNAUTHORIZED');
    }
  });

  it('answers the same for an existing and a missing id without a key', async () => {
    // Act
    const existing = await t.app.inject(`/%61pi/jobs/${jobId}`);
    const missing = await t.app.inject('/%61pi/jobs/j_0123456789abcdef0123456789abcdef');
    const noRoute = await t.app.inject('/api/no-such-route');
    // Assess
    assert.equal(existing.statusCode, 401);
    assert.equal(existing.body, missing.body);
    assert.equal(noRoute.body, missing.body);
  });

  it('keeps /metrics for the admin key', async () => {
    const anonymous = await t.app.inject('/metrics');
    const owner = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${KEY}` } });
    const admin = await t.app.inject({ url: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(anonymous.statusCode, 401);
    assert.equal(owner.statusCode, 403);
    assert.equal(admin.statusCode, 200);
  });

  it('never lets a cache keep a response to a ?token= request', async () => {
    const response = await t.app.inject(`/api/jobs/${jobId}?token=${KEY}`);
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('accepts keys by their whole value only', async () => {
    const prefix = await t.app.inject({ url: '/api/jobs', headers: { authorization: `Bearer ${KEY.slice(0, -1)}` } });
    const longer = await t.app.inject({ url: '/api/jobs', headers: { authorization: `Bearer ${KEY}x` } });
    const right = await t.app.inject({ url: '/api/jobs', headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(prefix.statusCode, 401);
    assert.equal(longer.statusCode, 401);
    assert.equal(right.statusCode, 200);
  });
});

describe('router errors and security headers', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('answers a malformed %-escape in the documented error shape', async () => {
    const response = await t.app.inject('/api/jobs/%E0%A4%A');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), {
      error: { code: 'BAD_URL', message: 'the URL could not be decoded (a malformed %-escape)', field: 'url' },
    });
  });

  it('sends neither HSTS nor upgrade-insecure-requests over plain HTTP', async () => {
    const response = await t.app.inject('/');
    assert.equal(response.headers['strict-transport-security'], undefined);
    assert.doesNotMatch(String(response.headers['content-security-policy']), /upgrade-insecure-requests/);
  });

  it('sends them when PUBLIC_URL is https', async () => {
    const secure = await testApp({ env: { PUBLIC_URL: 'https://augment.example' } });
    try {
      const response = await secure.app.inject('/');
      assert.ok(response.headers['strict-transport-security']);
      assert.match(String(response.headers['content-security-policy']), /upgrade-insecure-requests/);
    } finally {
      await secure.close();
    }
  });
});

describe('duplicate form fields', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('are refused, naming the field, instead of silently taking the last value', async () => {
    // Prepare
    const form = multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '1' });
    const boundary = form.headers['content-type']?.split('boundary=')[1] ?? '';
    const extra = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="variants"\r\n\r\n50\r\n`);
    const twice = Buffer.concat([extra, form.payload]);
    // Act
    const response = await t.app.inject({ method: 'POST', url: '/api/jobs', payload: twice, headers: form.headers });
    // Assess
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response).code, 'DUPLICATE_FIELD');
    assert.equal(errorOf(response).field, 'variants');
  });
});

describe('slow clients', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await testApp({ env: { REQUEST_TIMEOUT_SECONDS: '2', IDLE_TIMEOUT_SECONDS: '30' } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('are cut off once REQUEST_TIMEOUT_SECONDS has passed, however steadily they trickle', async () => {
    // Prepare: an upload that promises 1000 bytes and sends one every 200 ms (never idle, never done)
    const socket = await startRawUpload(port);
    const trickle = setInterval(() => socket.write('a'), 200);
    const started = Date.now();
    // Act
    const answer = await readUntilClose(socket);
    clearInterval(trickle);
    // Assess: closed by the server (408 or a reset), long before the 1000 bytes could have arrived (200 s)
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 60, `held for ${seconds}s`);
    assert.ok(answer === '' || /^HTTP\/1\.1 408/.test(answer), answer.slice(0, 80));
  });
});
