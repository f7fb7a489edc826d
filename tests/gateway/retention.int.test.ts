import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '@delta-augment/core';
import { loadConfig } from '@delta-augment/ports';
import { type LocalPorts, localPorts } from '@delta-augment/ports/local';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../packages/gateway/src/app.js';
import type { GatewayContext } from '../../packages/gateway/src/context.js';
import { sweepExpired } from '../../packages/gateway/src/sweeper.js';
import { multipartBody } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { tempDir } from '../helpers/server.js';

const DAY = 86_400_000;

const gateway = async (env: Record<string, string>, clock: Clock) => {
  const config = loadConfig({ DATA_DIR: tempDir(), SIGNING_SECRET: 'test-signing-secret', ...env });
  const ports = localPorts(config, clock);
  const { app, context } = await buildApp({ config, ports, clock, webRoot: '/nonexistent' });
  return { app, context, ports };
};

describe('retention with the default RETENTION_DAYS (27)', () => {
  let app: FastifyInstance;
  let context: GatewayContext;
  let ports: LocalPorts;
  let now = Date.parse('2032-01-01T00:00:00.000Z');
  const clock: Clock = { now: () => now };
  before(async () => {
    ({ app, context, ports } = await gateway({}, clock));
  });
  after(async () => {
    await app.close();
    await ports.close();
  });

  it('deletes a job and all its blobs once it is 27 days old, and keeps younger jobs', async () => {
    // Prepare
    const jpeg = await gradientJpeg();
    const post = () =>
      app.inject({ method: 'POST', url: '/api/jobs', ...multipartBody([{ name: 'a.jpg', data: jpeg }]) });
    const old = (await post()).json() as { id: string; createdAt: string; expiresAt: string };
    assert.equal(Date.parse(old.expiresAt) - Date.parse(old.createdAt), 27 * DAY);
    await ports.blobs.put(`results/${old.id}/s_x/thumb.webp`, Buffer.from('thumb'));
    now += 2 * DAY;
    const young = (await post()).json() as { id: string };
    // Act
    now += 25 * DAY - 1000;
    const early = await sweepExpired(context, clock);
    now += 2000;
    const removed = await sweepExpired(context, clock);
    // Assess
    assert.equal(early, 0, 'nothing is deleted before its time');
    assert.equal(removed, 1);
    assert.equal((await app.inject(`/api/jobs/${old.id}`)).statusCode, 404);
    assert.deepEqual(await ports.events.read(old.id), []);
    assert.deepEqual(await ports.blobs.list(`sources/${old.id}/`), []);
    assert.deepEqual(await ports.blobs.list(`results/${old.id}/`), []);
    assert.equal((await app.inject(`/api/jobs/${young.id}`)).statusCode, 200);
    assert.equal((await ports.blobs.list(`sources/${young.id}/`)).length, 1);
  });
});

describe('retention with RETENTION_DAYS=2', () => {
  let app: FastifyInstance;
  let context: GatewayContext;
  let ports: LocalPorts;
  let now = Date.parse('2032-06-01T00:00:00.000Z');
  const clock: Clock = { now: () => now };
  before(async () => {
    ({ app, context, ports } = await gateway({ RETENTION_DAYS: '2' }, clock));
  });
  after(async () => {
    await app.close();
    await ports.close();
  });

  it('deletes jobs after two days', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      ...multipartBody([{ name: 'a.jpg', data: await gradientJpeg() }]),
    });
    now += 2 * DAY + 1;
    assert.equal(await sweepExpired(context, clock), 1);
    assert.equal((await app.inject(`/api/jobs/${created.json().id}`)).statusCode, 404);
  });
});
