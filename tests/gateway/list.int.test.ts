import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Clock } from '@delta-augment/core';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { errorOf } from './fixtures.js';

interface Listed {
  items: { id: string; tags: string[]; status: string; createdAt: string }[];
  cursor?: string;
}

describe('GET /api/jobs: listing and searching', () => {
  let t: TestApp;
  let now = Date.parse('2031-03-01T10:00:00.000Z');
  const clock: Clock = { now: () => now };
  /** Job ids in creation order; each job is created one hour after the previous one. */
  const ids: string[] = [];
  before(async () => {
    t = await testApp({ clock });
    const jpeg = await gradientJpeg();
    const tags = ['cats,pets', 'dogs,pets', 'cats', 'birds', 'cats,wild'];
    for (const tag of tags) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        ...multipartBody([{ name: 'a.jpg', data: jpeg }], { variants: '1', tags: tag }),
      });
      assert.equal(created.statusCode, 202);
      ids.push(created.json().id);
      now += 3_600_000;
    }
    // one job still waiting for its signed upload: status "created"
    const signed = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { files: [{ name: 'late.jpg', bytes: 1000 }], tags: ['cats'] },
    });
    assert.equal(signed.statusCode, 201);
    ids.push(signed.json().id);
  });
  after(() => t.close());

  const list = async (query: string) => {
    const response = await t.app.inject(`/api/jobs${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as Listed;
  };

  it('lists the jobs newest first', async () => {
    const page = await list('');
    assert.deepEqual(
      page.items.map((j) => j.id),
      [...ids].reverse(),
    );
    assert.equal(page.cursor, undefined);
  });

  it('filters by tag, case-insensitively', async () => {
    const page = await list('?tag=CATS');
    assert.deepEqual(
      page.items.map((j) => j.id),
      [ids[5], ids[4], ids[2], ids[0]],
    );
  });

  it('searches with q: a tag, or a job id', async () => {
    assert.deepEqual(
      (await list('?q=pets')).items.map((j) => j.id),
      [ids[1], ids[0]],
    );
    assert.deepEqual(
      (await list(`?q=${ids[3]}`)).items.map((j) => j.id),
      [ids[3]],
    );
    assert.deepEqual((await list('?q=nothing-like-this')).items, []);
  });

  it('filters by status', async () => {
    assert.deepEqual(
      (await list('?status=created')).items.map((j) => j.id),
      [ids[5]],
    );
    assert.equal((await list('?status=queued')).items.length, 5);
    assert.deepEqual((await list('?status=completed')).items, []);
  });

  it('filters by creation time, from inclusive and to exclusive', async () => {
    const from = new Date(Date.parse('2031-03-01T11:00:00.000Z')).toISOString();
    const to = new Date(Date.parse('2031-03-01T13:00:00.000Z')).toISOString();
    assert.deepEqual(
      (await list(`?from=${from}&to=${to}`)).items.map((j) => j.id),
      [ids[2], ids[1]],
    );
  });

  it('combines the filters', async () => {
    assert.deepEqual(
      (await list('?tag=cats&status=queued&from=2031-03-01T11:30:00Z')).items.map((j) => j.id),
      [ids[4], ids[2]],
    );
  });

  it('pages with an opaque cursor until the last page', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await list(`?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.items.map((j) => j.id));
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    assert.equal(pages, 2);
    assert.deepEqual(seen, [...ids].reverse());
  });

  for (const [query, field] of [
    ['?status=lost', 'status'],
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?from=yesterday', 'from'],
    ['?from=2031-03-02T00:00:00Z&to=2031-03-01T00:00:00Z', 'from'],
    ['?cursor=not-a-cursor', 'cursor'],
    ['?tag=x&colour=red', 'colour'],
  ] as const) {
    it(`refuses ${query} with a 400 naming ${field}`, async () => {
      const response = await t.app.inject(`/api/jobs${query}`);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(errorOf(response).field, field);
    });
  }
});

describe('GET /api/images/recent: the home grid', () => {
  let t: TestApp;
  let now = Date.parse('2031-04-01T00:00:00.000Z');
  const clock: Clock = { now: () => now };
  before(async () => {
    t = await testApp({ clock });
    const jpeg = await gradientJpeg(32, 24);
    for (const names of [['a.jpg', 'b.jpg'], ['c.jpg'], ['d.jpg', 'e.jpg']]) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/jobs',
        ...multipartBody(
          names.map((name) => ({ name, data: jpeg })),
          { variants: '1' },
        ),
      });
      assert.equal(created.statusCode, 202);
      now += 60_000;
    }
  });
  after(() => t.close());

  it('lists the most recent images, newest job first, with their thumbnail URLs', async () => {
    // Act
    const response = await t.app.inject('/api/images/recent?limit=4');
    // Assess
    assert.equal(response.statusCode, 200);
    const items = response.json().items as {
      jobId: string;
      sourceId: string;
      name: string;
      width: number;
      thumbnailUrl: string;
      createdAt: string;
    }[];
    assert.deepEqual(
      items.map((i) => i.name),
      ['d.jpg', 'e.jpg', 'c.jpg', 'a.jpg'],
    );
    const first = items[0];
    assert.ok(first);
    assert.equal(first.width, 32);
    assert.equal(first.thumbnailUrl, `/api/jobs/${first.jobId}/sources/${first.sourceId}/thumbnail`);
    assert.equal(first.createdAt, '2031-04-01T00:02:00.000Z');
  });

  it('refuses a limit over 100 naming it', async () => {
    const response = await t.app.inject('/api/images/recent?limit=500');
    assert.equal(response.statusCode, 400);
    assert.equal(errorOf(response).field, 'limit');
  });
});
