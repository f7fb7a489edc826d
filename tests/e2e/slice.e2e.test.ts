import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import WebSocket from 'ws';
import { assertContiguousSeqs } from '../helpers/assertions.js';
import { jobForm, sharedImage } from '../helpers/images.js';
import { type RunningServer, startServer, tempDir, waitFor } from '../helpers/server.js';
import { readZip } from '../helpers/zip.js';

interface JobView {
  id: string;
  status: string;
  progress: { done: number; total: number };
}

const getJob = async (url: string, id: string): Promise<JobView> =>
  (await fetch(`${url}/api/jobs/${id}`)).json() as Promise<JobView>;

const upload = async (url: string, variants: number, image = sharedImage('ladybird.jpg')): Promise<JobView> => {
  const response = await fetch(`${url}/api/jobs`, {
    method: 'POST',
    body: jobForm([{ name: 'ladybird.jpg', data: image }], { variants: String(variants), tags: 'insects,e2e' }),
  });
  assert.equal(response.status, 202, await response.clone().text());
  return (await response.json()) as JobView;
};

const completed = (url: string, id: string, timeoutMs: number) =>
  waitFor(
    async () => {
      const job = await getJob(url, id);
      assert.notEqual(job.status, 'failed', JSON.stringify(job));
      return job.status === 'completed' ? job : undefined;
    },
    timeoutMs,
    `job ${id} to complete`,
  );

const assertZipOfImages = async (url: string, id: string, count: number) => {
  const response = await fetch(`${url}/api/jobs/${id}/archive`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/zip');
  const entries = await readZip(Buffer.from(await response.arrayBuffer()));
  const images = [...entries.keys()].filter((name) => name.endsWith('.jpg'));
  assert.equal(images.length, count);
  for (const name of images) {
    const meta = await sharp(entries.get(name)).metadata();
    assert.equal(meta.format, 'jpeg', `${name} is a JPEG`);
  }
  const manifest = JSON.parse(String(entries.get('manifest.json'))) as { variants: unknown[] };
  assert.equal(manifest.variants.length, count);
  assert.ok(entries.has('manifest.csv'));
};

describe('the service started as npm start runs it', () => {
  const servers: RunningServer[] = [];
  after(async () => {
    for (const s of servers) await s.kill9().catch(() => undefined);
  });

  it('takes an upload of one image with 20 variants through to a zip of 20 valid images', async () => {
    // Prepare
    const server = await startServer();
    servers.push(server);
    // Act
    const created = await upload(server.url, 20);
    const job = await completed(server.url, created.id, 60_000);
    // Assess
    assert.deepEqual(job.progress, { done: 20, total: 20 });
    const events = (await (await fetch(`${server.url}/api/jobs/${created.id}/events`)).json()) as {
      seq: number;
      type: string;
      data: { variants?: unknown[] };
    }[];
    assertContiguousSeqs(events);
    assert.equal(events[0]?.type, 'JobCreated');
    assert.equal(events.at(-1)?.type, 'JobCompleted');
    assert.equal(events.flatMap((e) => (e.type === 'VariantsWritten' ? (e.data.variants ?? []) : [])).length, 20);
    await assertZipOfImages(server.url, created.id, 20);
    await server.stop();
  });

  it('completes a job with exactly 20 images after kill -9 during processing and a restart', async () => {
    // Prepare: a 12-megapixel source, so that 20 variants take long enough for the kill to land mid-job
    const dataDir = tempDir();
    const first = await startServer({ dataDir });
    servers.push(first);
    const big = await sharp(sharedImage('ladybird.jpg')).resize(4000, 3000, { fit: 'fill' }).jpeg().toBuffer();
    const created = await upload(first.url, 20, big);
    const before = await waitFor(
      async () => {
        const job = await getJob(first.url, created.id);
        return job.progress.done > 0 ? job : undefined;
      },
      60_000,
      'first variants',
    );
    assert.ok(before.progress.done < 20, 'the kill lands before the job is done');
    // Act
    await first.kill9();
    const second = await startServer({ dataDir });
    servers.push(second);
    // Assess
    const job = await completed(second.url, created.id, 90_000);
    assert.deepEqual(job.progress, { done: 20, total: 20 });
    const events = (await (await fetch(`${second.url}/api/jobs/${created.id}/events`)).json()) as {
      seq: number;
      type: string;
    }[];
    assertContiguousSeqs(events);
    assert.equal(events.filter((e) => e.type === 'JobCompleted').length, 1);
    await assertZipOfImages(second.url, created.id, 20);
    await second.stop();
  });

  it('pushes every event of a job over the WebSocket in seq order, up to the terminal one', async () => {
    // Prepare
    const server = await startServer();
    servers.push(server);
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const seqs: number[] = [];
    const terminal = new Promise<string>((resolve) => {
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw)) as { type: string; seq?: number; event?: { type: string } };
        if (message.type !== 'event' || !message.event || message.seq === undefined) return;
        seqs.push(message.seq);
        if (message.event.type === 'JobCompleted' || message.event.type === 'JobFailed') resolve(message.event.type);
      });
    });
    // Act
    const created = await upload(server.url, 5);
    socket.send(JSON.stringify({ type: 'subscribe', jobId: created.id, after: 0 }));
    // Assess
    assert.equal(await terminal, 'JobCompleted');
    assertContiguousSeqs(seqs);
    socket.close();
    await server.stop();
  });

  it('refuses a WebSocket from another origin in the keyless local mode', async () => {
    const server = await startServer();
    servers.push(server);
    const socket = new WebSocket(`${server.url.replace('http', 'ws')}/ws`, {
      headers: { origin: 'https://evil.example' },
    });
    const status = await new Promise<number>((resolve) =>
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    assert.equal(status, 401);
    await server.stop();
  });
});
