import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { newId } from '@delta-augment/core';
import { attachNotifier } from '@delta-augment/gateway';
import WebSocket from 'ws';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { waitFor } from '../helpers/server.js';

interface Message {
  type: string;
  code?: string;
  message?: string;
  jobId?: string;
}

const RATE = 20;

/** A client that records what it receives and how it was closed. */
const connect = async (url: string) => {
  const ws = new WebSocket(url);
  const messages: Message[] = [];
  ws.on('message', (data) => messages.push(JSON.parse(String(data)) as Message));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, messages, closed };
};

/** Sends `count` frames in bursts, yielding between them so the server reads as they come. */
const flood = async (ws: WebSocket, count: number, frame: () => string) => {
  for (let i = 0; i < count && ws.readyState === WebSocket.OPEN; i++) {
    ws.send(frame());
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
};

describe('WebSocket clients that flood (issue 17, repro 10)', () => {
  let t: TestApp;
  let wsUrl: string;
  let httpUrl: string;
  let notifier: { close(): Promise<void> };
  before(async () => {
    t = await testApp({ workers: true, env: { WS_MESSAGES_PER_SECOND: String(RATE) } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    notifier = attachNotifier(t.app.server, t.config, t.ports);
    const { port } = t.app.server.address() as AddressInfo;
    wsUrl = `ws://127.0.0.1:${port}/ws`;
    httpUrl = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    await notifier.close();
    await t.close();
  });

  it('closes a client flooding invalid frames with 1008 naming WS_MESSAGES_PER_SECOND, after a RATE_LIMITED error', async () => {
    // Prepare
    const flooder = await connect(wsUrl);
    // Act
    await flood(flooder.ws, 20_000, () => 'not json');
    const { code, reason } = await flooder.closed;
    // Assess
    assert.equal(code, 1008);
    assert.match(reason, /WS_MESSAGES_PER_SECOND/);
    const limited = flooder.messages.filter((m) => m.code === 'RATE_LIMITED');
    assert.ok(limited.length >= 1 && limited.length <= 3, `${limited.length} RATE_LIMITED errors`);
    assert.match(limited[0]?.message ?? '', /WS_MESSAGES_PER_SECOND/);
    // Only the burst (twice the rate, at least twice the subscription limit) was answered at all.
    const answered = flooder.messages.filter((m) => m.code === 'INVALID_JSON').length;
    assert.ok(answered <= 2 * 100 + RATE, `${answered} frames were parsed and answered`);
  });

  it('closes a client flooding subscribes to random ids, and leaves the other clients and /healthz served', async () => {
    // Prepare: a well-behaved client watching all of its jobs.
    const victim = await connect(wsUrl);
    victim.ws.send(JSON.stringify({ type: 'subscribe', jobId: '*' }));
    await waitFor(
      async () => (victim.messages.some((m) => m.type === 'subscribed') ? true : undefined),
      5000,
      'subscribed',
    );
    const flooder = await connect(wsUrl);
    // Act
    const flooding = flood(flooder.ws, 50_000, () => JSON.stringify({ type: 'subscribe', jobId: newId('j') }));
    const health = await fetch(`${httpUrl}/healthz`);
    await flooding;
    const { code } = await flooder.closed;
    const form = multipartBody([{ name: 'a.jpg', data: await gradientJpeg(20, 20) }], { variants: '1' });
    const created = await fetch(`${httpUrl}/api/jobs`, {
      method: 'POST',
      headers: form.headers,
      body: new Uint8Array(form.payload),
    });
    const { id } = (await created.json()) as { id: string };
    // Assess
    assert.equal(code, 1008);
    assert.equal(health.status, 200);
    await waitFor(
      async () => (victim.messages.some((m) => m.type === 'event' && m.jobId === id) ? true : undefined),
      30_000,
      'the well-behaved client to get the events of the new job',
    );
    assert.equal(victim.ws.readyState, WebSocket.OPEN);
    victim.ws.close();
  });

  it('takes a page subscribing to its 100 jobs at once (a burst within the budget)', async () => {
    // Prepare
    const client = await connect(wsUrl);
    // Act
    for (let i = 0; i < 100; i++) client.ws.send(JSON.stringify({ type: 'subscribe', jobId: newId('j') }));
    await waitFor(async () => (client.messages.length >= 100 ? true : undefined), 10_000, '100 answers');
    // Assess: every one answered (not found: the ids are random), none rate-limited, still open.
    assert.equal(client.messages.filter((m) => m.code === 'RATE_LIMITED').length, 0);
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    client.ws.close();
  });
});
