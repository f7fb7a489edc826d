import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertContiguousSeqs } from '../helpers/assertions.js';
import { gradientJpeg, jobForm } from '../helpers/images.js';
import { type RunningServer, startServer, waitFor } from '../helpers/server.js';

interface Event {
  seq: number;
  type: string;
}

describe("a job's events, paged over HTTP by the real server (GET /api/jobs/:id/events?after=&limit=)", () => {
  let server: RunningServer;
  let jobId: string;
  let all: Event[];
  before(async () => {
    server = await startServer({ env: { WORKER_CONCURRENCY: '1' } });
    const jpeg = await gradientJpeg(48, 32);
    const created = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      body: jobForm(
        ['a.jpg', 'b.jpg', 'c.jpg'].map((name) => ({ name, data: jpeg })),
        { variants: '2', seed: '3' },
      ),
    });
    assert.equal(created.status, 202);
    jobId = ((await created.json()) as { id: string }).id;
    all = await waitFor(
      async () => {
        const events = (await (await fetch(`${server.url}/api/jobs/${jobId}/events`)).json()) as Event[];
        return events.at(-1)?.type === 'JobCompleted' ? events : undefined;
      },
      45_000,
      'the job to complete',
    );
  });
  after(() => server.stop());

  it('walks every event once, in seq order, by following the next-page cursor of full pages', async () => {
    // Prepare
    assert.ok(all.length > 6, `enough events for several pages (got ${all.length})`);
    const pages: Event[][] = [];
    const links: (string | null)[] = [];
    // Act
    for (let after: string | null = '0'; after !== null; ) {
      const response: Response = await fetch(`${server.url}/api/jobs/${jobId}/events?after=${after}&limit=3`);
      assert.equal(response.status, 200);
      const page = (await response.json()) as Event[];
      pages.push(page);
      links.push(response.headers.get('link'));
      after = response.headers.get('x-next-after');
      if (after !== null) assert.equal(Number(after), page.at(-1)?.seq);
    }
    // Assess
    const walked = pages.flat();
    assertContiguousSeqs(walked);
    assert.deepEqual(walked, all);
    assert.ok(pages.slice(0, -1).every((page) => page.length === 3));
    assert.ok((pages.at(-1)?.length ?? 0) <= 3);
    const first = pages[0] as Event[];
    assert.equal(links[0], `</api/jobs/${jobId}/events?after=${first.at(-1)?.seq}&limit=3>; rel="next"`);
  });

  it('answers the events after a seq, and an empty page after the last one', async () => {
    // Act
    const middle = (await (await fetch(`${server.url}/api/jobs/${jobId}/events?after=4&limit=2`)).json()) as Event[];
    const end = await fetch(`${server.url}/api/jobs/${jobId}/events?after=${all.length}&limit=5`);
    // Assess
    assert.deepEqual(middle, all.slice(4, 6));
    assert.equal(end.status, 200);
    assert.deepEqual(await end.json(), []);
    assert.equal(end.headers.get('link'), null);
  });

  it('refuses a limit out of range or a negative cursor with a 400 naming the field', async () => {
    for (const query of ['limit=0', 'limit=1001', 'after=-1', 'limit=x']) {
      // Act
      const response = await fetch(`${server.url}/api/jobs/${jobId}/events?${query}`);
      // Assess
      assert.equal(response.status, 400, query);
      const body = (await response.json()) as { error: { code: string; message: string } };
      assert.match(body.error.message, query.startsWith('after') ? /after/ : /limit/, query);
    }
  });
});
