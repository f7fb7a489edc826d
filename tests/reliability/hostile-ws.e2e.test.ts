import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import WebSocket from 'ws';
import { gradientJpeg, jobForm } from '../helpers/images.js';
import { type RunningServer, startServer, waitFor } from '../helpers/server.js';
import { type JobWatcher, peakRssOf, watchJobs } from './harness.js';
import { pngBomb } from './hostile-files.js';
import { assertNothingLost } from './invariants.js';

const ALICE = 'alice-ws-key-0123456789ab';
const BOB = 'bob-ws-key-0123456789abcd';

const connect = (url: string, key: string): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?token=${key}`);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });

const closed = (ws: WebSocket): Promise<{ code: number; reason: string }> =>
  new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));

/** Sends one frame and resolves with the next server message. */
const reply = (ws: WebSocket, data: string | Buffer, binary = false): Promise<Record<string, unknown>> =>
  new Promise((resolve) => {
    ws.once('message', (message) => resolve(JSON.parse(String(message)) as Record<string, unknown>));
    ws.send(data, { binary });
  });

describe('the running service under hostile WebSocket clients and mixed uploads', () => {
  let server: RunningServer;
  let watcher: JobWatcher;
  const accepted: string[] = [];

  before(async () => {
    server = await startServer({
      env: { API_KEYS: `${ALICE}:alice,${BOB}:bob`, WORKER_CONCURRENCY: '2', MAX_RECEIVE_COUNT: '3' },
    });
    watcher = await watchJobs(server.url, ALICE);
  });
  after(async () => {
    await watcher?.close();
    await server?.stop();
  });

  const upload = async (name: string, data: Buffer, key = ALICE) => {
    const response = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: jobForm([{ name, data }], { variants: '2' }),
    });
    assert.equal(response.status, 202, await response.clone().text());
    const { id } = (await response.json()) as { id: string };
    if (key === ALICE) accepted.push(id);
    return id;
  };

  it('answers every malformed message with an error and keeps the connection open', async () => {
    // Prepare
    const ws = await connect(server.url, ALICE);
    const bobsJob = await upload('bob.jpg', await gradientJpeg(), BOB);
    const cases: [string, string | Buffer, boolean, string][] = [
      ['not JSON', 'hello', false, 'INVALID_JSON'],
      ['a binary frame', Buffer.from('{"type":"subscribe","jobId":"*"}'), true, 'INVALID_MESSAGE'],
      ['over 4 KiB', JSON.stringify({ type: 'subscribe', jobId: 'x'.repeat(5000) }), false, 'MESSAGE_TOO_LARGE'],
      ['deeply nested', `${'['.repeat(2000)}${']'.repeat(2000)}`, false, 'INVALID_MESSAGE'],
      ['an unknown type', '{"type":"__proto__"}', false, 'UNKNOWN_TYPE'],
      [
        'a 300-character job id',
        JSON.stringify({ type: 'subscribe', jobId: 'j'.repeat(300) }),
        false,
        'INVALID_MESSAGE',
      ],
      ['a negative after', '{"type":"subscribe","jobId":"j_x","after":-1}', false, 'INVALID_MESSAGE'],
      ['after as a string', '{"type":"subscribe","jobId":"j_x","after":"0"}', false, 'INVALID_MESSAGE'],
      ['a huge after', '{"type":"subscribe","jobId":"j_x","after":1e300}', false, 'INVALID_MESSAGE'],
      ['a prototype key', '{"__proto__":{"admin":true},"type":"subscribe","jobId":"j_x"}', false, 'NOT_FOUND'],
      ['a job that does not exist', '{"type":"subscribe","jobId":"j_AAAAAAAAAAAAAAAAAAAAAA"}', false, 'NOT_FOUND'],
      ["another owner's job", JSON.stringify({ type: 'subscribe', jobId: bobsJob }), false, 'NOT_FOUND'],
    ];
    // Act + Assess
    for (const [what, frame, binary, code] of cases) {
      const message = await reply(ws, frame, binary);
      assert.equal(message.type, 'error', what);
      assert.equal(message.code, code, `${what}: ${String(message.message)}`);
    }
    const own = await upload('own.jpg', await gradientJpeg());
    const subscribed = await reply(ws, JSON.stringify({ type: 'subscribe', jobId: own, after: 0 }));
    assert.deepEqual(subscribed, { type: 'subscribed', jobId: own, after: 0 }, 'the connection still works');
    ws.close();
  });

  it('refuses subscriptions past the per-connection limit, and frames over 64 KiB with close 1009', async () => {
    // Prepare: 100 jobs of alice's (created for signed uploads that never come, so never accepted)
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const created = await fetch(`${server.url}/api/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
        body: JSON.stringify({ files: [{ name: `${i}.jpg`, bytes: 100 }] }),
      });
      ids.push(((await created.json()) as { id: string }).id);
    }
    const ws = await connect(server.url, ALICE);
    const answers: { type: string; code?: string }[] = [];
    ws.on('message', (m) => answers.push(JSON.parse(String(m)) as { type: string; code?: string }));
    // Act
    for (const id of ids) ws.send(JSON.stringify({ type: 'subscribe', jobId: id }));
    await waitFor(
      async () => (answers.filter((a) => a.type === 'subscribed').length === 100 ? true : undefined),
      10_000,
      '100 subscriptions',
    );
    const refused = await reply(ws, JSON.stringify({ type: 'subscribe', jobId: '*' }));
    const huge = closed(ws);
    ws.send(Buffer.alloc(70 * 1024, 0x20));
    // Assess
    assert.equal(refused.code, 'TOO_MANY_SUBSCRIPTIONS');
    assert.equal((await huge).code, 1009);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it('closes connections over the per-owner limit with 1013, and refuses a missing key with 401', async () => {
    const sockets = await Promise.all(Array.from({ length: 100 }, () => connect(server.url, BOB)));
    const extra = await connect(server.url, BOB);
    const refused = await closed(extra);
    assert.equal(refused.code, 1013);
    for (const s of sockets) s.close();
    const anonymous = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
    const status = await new Promise<number>((resolve) => {
      anonymous.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      anonymous.once('open', () => resolve(101));
    });
    assert.equal(status, 401);
  });

  it('ends every accepted upload, good or hostile, in a terminal event the subscribed client sees', async () => {
    // Prepare: good images, a JPEG cut in its scan data, and a bomb through a signed upload
    const jpeg = await gradientJpeg(320, 240);
    for (let i = 0; i < 4; i++) await upload(`good-${i}.jpg`, jpeg);
    await upload('cut.jpg', jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    const bomb = await pngBomb();
    const signed = await fetch(`${server.url}/api/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ALICE}`, 'content-type': 'application/json' },
      // A signed PUT must carry exactly the declared bytes.
      body: JSON.stringify({ files: [{ name: 'bomb.png', bytes: bomb.length }], variants: 2 }),
    });
    const job = (await signed.json()) as { id: string; uploads: { url: string }[] };
    const put = await fetch(job.uploads[0]?.url ?? '', {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array(bomb),
    });
    assert.equal(put.status, 200, await put.text());
    accepted.push(job.id);
    // Act
    await watcher.waitTerminal(accepted, 60_000);
    // Assess
    for (const id of accepted) {
      const seqs = (watcher.seen.get(id) ?? []).map((e) => e.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => (seqs[0] ?? 1) + i),
        `job ${id}: events arrive in order without gaps`,
      );
    }
    const events = (await (
      await fetch(`${server.url}/api/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${ALICE}` } })
    ).json()) as { type: string; data: { reason?: string } }[];
    assert.match(events.at(-1)?.data.reason ?? '', /MAX_PIXELS/);
    const ports = localPorts(loadConfig({ DATA_DIR: server.dataDir }));
    try {
      await assertNothingLost({ events: ports.events, queue: ports.queue, jobIds: accepted, requireTerminal: true });
    } finally {
      await ports.close();
    }
    const peak = peakRssOf(server.child.pid ?? 0);
    assert.ok(peak < 512 * 1024 * 1024, `the gateway's peak RSS is ${Math.round(peak / 1048576)} MiB`);
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  });
});
