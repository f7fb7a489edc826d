import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestApp, testApp } from '../helpers/app.js';
import { errorOf } from './fixtures.js';

const KEY = 'key-of-owner-a-0123456789';
const ADMIN = 'admin-key-0123456789abcdef';
const JOB = 'j_0123456789abcdefABCDEF';

interface OpenApi {
  paths: Record<string, Record<string, { summary?: string }>>;
}

/** A URL for an OpenAPI path whose parameters all pass their schemas. */
const urlOf = (path: string) =>
  path.replace('{name}', 'uploads-dlq').replace('{id}', JOB).replace('{messageId}', 'm-1');

describe('the admin routes, checked in one place', () => {
  let t: TestApp;
  let adminRoutes: { method: string; url: string }[];
  before(async () => {
    t = await testApp({ env: { API_KEYS: `${KEY}:owner-a`, ADMIN_KEY: ADMIN } });
    const doc = (await t.app.inject({ url: '/docs/json' })).json<OpenApi>();
    adminRoutes = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => /\(admin\b/.test(operation.summary ?? ''))
        .map(([method, _operation]) => ({ method: method.toUpperCase(), url: urlOf(path) })),
    );
    adminRoutes.push({ method: 'GET', url: '/metrics' });
  });
  after(() => t.close());

  it('finds the admin routes of the queues, the console and the job retry in the API document', () => {
    // Assess
    const urls = new Set(adminRoutes.map((r) => r.url));
    for (const url of ['/api/queues', '/api/admin/overview', '/api/admin/owners', `/api/jobs/${JOB}/retry`]) {
      assert.ok(urls.has(url), url);
    }
    assert.ok(adminRoutes.length >= 12, `${adminRoutes.length} admin routes`);
  });

  it("refuses a user's key with 403 on every admin route, before the route runs", async () => {
    // Act
    const answers = await Promise.all(
      adminRoutes.map((r) =>
        t.app.inject({ method: r.method as 'GET', url: r.url, headers: { authorization: `Bearer ${KEY}` } }),
      ),
    );
    // Assess
    answers.forEach((answer, i) => {
      assert.equal(answer.statusCode, 403, `${adminRoutes[i]?.method} ${adminRoutes[i]?.url}`);
      assert.equal(errorOf(answer).code, 'FORBIDDEN');
      assert.match(errorOf(answer).message, /admin key \(ADMIN_KEY\)/);
    });
  });

  it('lets the admin key through every admin route (no 401 or 403)', async () => {
    // Act
    const answers = await Promise.all(
      adminRoutes
        .filter((r) => r.method === 'GET')
        .map((r) => t.app.inject({ method: 'GET', url: r.url, headers: { authorization: `Bearer ${ADMIN}` } })),
    );
    // Assess
    for (const answer of answers) assert.ok(![401, 403].includes(answer.statusCode), String(answer.statusCode));
  });
});

describe('route handlers read typed request data', () => {
  it('casts no request body, params or query by hand in the route modules', () => {
    // Prepare
    const dir = join(import.meta.dirname, '../../packages/gateway/src/routes');
    const casts = readdirSync(dir).flatMap((file) =>
      readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${file}:${i + 1}`, line }))
        .filter(({ line }) => /request\.(body|params|query)\)?(\s*\?\?\s*\{\})?\)?\s+as\s/.test(line)),
    );
    // Assess
    assert.deepEqual(casts, []);
  });
});
