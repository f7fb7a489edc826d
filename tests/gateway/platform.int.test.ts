import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '@delta-augment/core';
import { JobService } from '@delta-augment/ports';
import Fastify from 'fastify';
import { createContext } from '../../packages/gateway/src/context.js';
import { createMetrics } from '../../packages/gateway/src/metrics.js';
import { metricsRoutes } from '../../packages/gateway/src/routes/metrics.js';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';
import { errorOf } from './fixtures.js';

/** The value of one sample in a Prometheus text exposition, or undefined. */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('the probes', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('answers /healthz with 200', async () => {
    const response = await t.app.inject('/healthz');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('answers /readyz with 200 when every store answers', async () => {
    const response = await t.app.inject('/readyz');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready', checks: { events: true, blobs: true, queue: true } });
  });

  it('answers an unknown route with a 404 in the error shape', async () => {
    const response = await t.app.inject('/api/nothing-here');
    assert.equal(response.statusCode, 404);
    assert.equal(errorOf(response).code, 'NOT_FOUND');
  });
});

describe('GET /metrics', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ workers: true });
  });
  after(() => t.close());

  it('exposes request latency, variants produced and queue depth in the Prometheus format', async () => {
    // Prepare
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }], { variants: '3' }),
    });
    const id = created.json().id as string;
    await waitFor(
      async () => ((await t.app.inject(`/api/jobs/${id}`)).json().status === 'completed' ? true : undefined),
      30_000,
      'the job to complete',
    );
    // Act
    const text = await waitFor(
      async () => {
        const body = (await t.app.inject('/metrics')).body;
        return sample(body, 'delta_variants_produced_total') === 3 ? body : undefined;
      },
      10_000,
      'the variants to be counted',
    );
    // Assess
    assert.match(text, /# TYPE delta_http_request_duration_seconds histogram/);
    assert.ok(
      (sample(text, 'delta_http_request_duration_seconds_count{route="/api/jobs",method="POST",status="202"}') ?? 0) >=
        1,
    );
    assert.match(
      text,
      // prom-client writes `le` first; Prometheus does not care about label order.
      /delta_http_request_duration_seconds_bucket\{le="\+Inf",route="\/api\/jobs",method="POST",status="202"\} 1$/m,
    );
    assert.equal(sample(text, 'delta_jobs_created_total'), 1);
    assert.equal(sample(text, 'delta_queue_visible_messages{queue="uploads"}'), 0);
    assert.equal(sample(text, 'delta_queue_visible_messages{queue="uploads-dlq"}'), 0);
    assert.equal(sample(text, 'delta_jobs_finished_total{status="JobCompleted"}'), 1);
  });

  it("adds the process's default metrics from prom-client, in the text format's content type", async () => {
    // Act
    const response = await t.app.inject('/metrics');
    // Assess
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(response.body, /# TYPE process_cpu_user_seconds_total counter/);
    assert.ok((sample(response.body, 'process_resident_memory_bytes') ?? 0) > 0);
    assert.match(response.body, /# TYPE nodejs_eventloop_lag_seconds gauge/);
  });

  it('serves every delta_* series that the alert rules in docs/alerts.yml query', async () => {
    // Prepare
    const rules = readFileSync(join(import.meta.dirname, '../../docs/alerts.yml'), 'utf8');
    const queried = new Set(rules.match(/\bdelta_[a-z_]+/g));
    // Act
    const text = (await t.app.inject('/metrics')).body;
    // Assess
    assert.ok(queried.size >= 4, [...queried].join(', '));
    for (const series of queried) assert.match(text, new RegExp(`^${series}[{ ]`, 'm'), series);
  });
});

describe('the metrics route plugin', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('counts jobs by status and shows queue depth', async () => {
    // Prepare
    const jpeg = await gradientJpeg();
    for (let i = 0; i < 2; i++) {
      await t.app.inject({ method: 'POST', url: '/api/jobs', ...multipartBody([{ name: 'a.jpg', data: jpeg }]) });
    }
    await t.app.inject({ method: 'POST', url: '/api/jobs', payload: { files: [{ name: 'b.jpg', bytes: 10 }] } });
    const app = Fastify();
    const context = createContext(
      t.config,
      t.ports,
      new JobService(t.ports.events, t.ports.bus),
      systemClock,
      createMetrics(),
    );
    await app.register(async (scope) => metricsRoutes(scope, context));
    // Act
    const text = (await app.inject('/metrics')).body;
    await app.close();
    // Assess
    assert.equal(sample(text, 'delta_jobs{status="queued"}'), 2);
    assert.equal(sample(text, 'delta_jobs{status="created"}'), 1);
    assert.equal(sample(text, 'delta_jobs{status="completed"}'), 0);
    assert.equal(sample(text, 'delta_queue_visible_messages{queue="uploads"}'), 2);
    assert.match(text, /# TYPE delta_variants_produced_total counter/);
  });
});

describe('the API documentation', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('serves a docs page at /docs', async () => {
    const response = await t.app.inject('/docs');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /text\/html/);
    assert.match(response.body, /Swagger UI/);
  });

  it('serves an OpenAPI document listing every route at /docs/json', async () => {
    const response = await t.app.inject('/docs/json');
    assert.equal(response.statusCode, 200);
    const doc = response.json() as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    assert.match(doc.openapi, /^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m} ${path}`),
    );
    for (const route of [
      'get /healthz',
      'get /readyz',
      'post /api/jobs',
      'get /api/jobs',
      'get /api/jobs/{id}',
      'delete /api/jobs/{id}',
      'get /api/jobs/{id}/events',
      'get /api/jobs/{id}/archive',
      'get /api/jobs/{id}/sources/{sourceId}/variants/{index}',
      'get /api/jobs/{id}/sources/{sourceId}/thumbnail',
      'get /api/images/recent',
      'get /api/queues',
      'post /api/queues/{name}/redrive',
      'get /api/presets',
      'get /metrics',
    ]) {
      assert.ok(routes.includes(route), `${route} is documented`);
    }
    const create = doc.paths['/api/jobs']?.post?.requestBody?.content ?? {};
    assert.deepEqual(Object.keys(create).sort(), ['application/json', 'multipart/form-data']);
    assert.ok(!routes.some((r) => r.includes('/blobs/')), 'the signed blob routes are not part of the API');
  });
});

describe('security headers and CORS by default', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp();
  });
  after(() => t.close());

  it('sends the helmet security headers', async () => {
    const response = await t.app.inject('/api/jobs');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(response.headers['referrer-policy'], 'no-referrer');
    assert.equal(response.headers['cross-origin-resource-policy'], 'same-origin');
    // HSTS only over https (PUBLIC_URL), see guards.int.test.ts
    assert.equal(response.headers['strict-transport-security'], undefined);
    assert.equal(response.headers['x-powered-by'], undefined);
  });

  it('allows no cross-origin caller', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/jobs',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    const get = await t.app.inject({ url: '/api/jobs', headers: { origin: 'https://elsewhere.example' } });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  });
});

describe('CORS with CORS_ORIGINS configured', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { CORS_ORIGINS: 'https://app.example' } });
  });
  after(() => t.close());

  it('allows the configured origin, preflight included', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/jobs',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://app.example');
    const get = await t.app.inject({ url: '/api/jobs', headers: { origin: 'https://app.example' } });
    assert.equal(get.headers['access-control-allow-origin'], 'https://app.example');
  });

  it('still refuses other origins', async () => {
    const get = await t.app.inject({ url: '/api/jobs', headers: { origin: 'https://evil.example' } });
    assert.equal(get.headers['access-control-allow-origin'], undefined);
  });
});

describe('rate limiting with RATE_LIMIT_PER_MINUTE=3', () => {
  let t: TestApp;
  before(async () => {
    t = await testApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  after(() => t.close());

  it('answers the 4th request in a minute with a 429, retry-after and a clear error', async () => {
    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject('/api/jobs')).statusCode);
    const limited = await t.app.inject('/api/jobs');
    // Assess
    assert.deepEqual(statuses, [200, 200, 200]);
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) > 0, `retry-after ${limited.headers['retry-after']}`);
    assert.equal(errorOf(limited).code, 'RATE_LIMITED');
    assert.match(errorOf(limited).message, /RATE_LIMIT_PER_MINUTE/);
  });

  it('never limits the probes', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await t.app.inject('/healthz')).statusCode, 200);
    assert.equal((await t.app.inject('/readyz')).statusCode, 200);
  });
});
