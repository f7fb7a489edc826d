/**
 * WebSocket notifier benchmark: N concurrent connections on loopback, each subscribed to one job;
 * events are appended and published through a separate bus instance (as the augmenter would) and the
 * time from publish to arrival at each client is measured.
 *
 *   node --import tsx scripts/bench/ws.ts [--connections 5000] [--jobs 1000] [--rounds 20]
 *
 * Two processes: this one (producer and clients) and a child running the notifier on an HTTP server
 * with its own SqliteEventBus on the same file. Each process holds one file descriptor per
 * connection, so `ulimit -n` must exceed the connection count (checked at start).
 */
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createNotifier, type ServerMessage } from '@delta-augment/notifier';
import { type JobEvent, SqliteEventBus, SqliteJobEventStore } from '@delta-augment/shared';
import WebSocket from 'ws';

const OWNER = 'bench';
const TOKEN = 'bench-key';
const CONNECT_CONCURRENCY = 200;
const PUBLISH_BATCH = 10;
const ROUND_TIMEOUT_MS = 15_000;
const RUN_TIMEOUT_MS = 5 * 60_000;

interface ServerReport {
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly connections: number;
  readonly subscriptions: number;
  readonly cpuMs: number;
}

type ToServer = { readonly type: 'report' } | { readonly type: 'stop' };
type FromServer = { readonly type: 'ready'; readonly port: number } | ({ readonly type: 'report' } & ServerReport);

const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** The notifier side, run in a child process. */
const serve = async (dir: string, connections: number): Promise<void> => {
  const store = new SqliteJobEventStore(join(dir, 'events.sqlite'));
  const bus = new SqliteEventBus(join(dir, 'bus.sqlite'), 10);
  const server = createServer((_request, response) => response.writeHead(404).end());
  const notifier = createNotifier({
    server,
    events: store,
    bus,
    authenticate: (request) =>
      new URL(request.url ?? '/', 'http://localhost').searchParams.get('token') === TOKEN
        ? { owner: OWNER, admin: false }
        : undefined,
    limits: { maxConnections: connections + 100, maxConnectionsPerOwner: connections + 100 },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 2048, resolve));
  const send = (message: FromServer) => process.send?.(message);
  process.on('message', async (message: ToServer) => {
    if (message.type === 'report') {
      const memory = process.memoryUsage();
      const cpu = process.cpuUsage();
      send({
        type: 'report',
        rssMiB: mib(memory.rss),
        heapUsedMiB: mib(memory.heapUsed),
        ...notifier.stats(),
        cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      });
      return;
    }
    await notifier.close();
    server.closeAllConnections();
    server.close();
    await bus.close();
    await store.close();
    process.exit(0);
  });
  send({ type: 'ready', port: (server.address() as AddressInfo).port });
};

const request = (child: ChildProcess, message: ToServer): Promise<FromServer> =>
  new Promise((resolve) => {
    child.once('message', (reply: FromServer) => resolve(reply));
    child.send(message);
  });

const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

const run = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      connections: { type: 'string', default: '5000' },
      jobs: { type: 'string', default: '1000' },
      rounds: { type: 'string', default: '20' },
    },
  });
  const connections = Number(values.connections);
  const jobCount = Math.min(Number(values.jobs), connections);
  const rounds = Number(values.rounds);
  const fdLimit = Number(execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim());
  if (Number.isFinite(fdLimit) && fdLimit < connections + 256) {
    console.error(`ulimit -n is ${fdLimit}; ${connections} connections need at least ${connections + 256} per process`);
    process.exit(1);
  }

  const dir = await mkdtemp(join(tmpdir(), 'bench-ws-'));
  const store = new SqliteJobEventStore(join(dir, 'events.sqlite'));
  const bus = new SqliteEventBus(join(dir, 'bus.sqlite'), 10);
  const jobIds = Array.from({ length: jobCount }, (_, i) => `bench-job-${i}`);
  for (const jobId of jobIds) {
    await store.append(jobId, 0, [
      {
        type: 'JobCreated',
        data: {
          owner: OWNER,
          pipeline: { preset: 'light', seed: 1 },
          variants: 1,
          tags: [],
          sources: [{ sourceId: 's1', name: 'a.png', label: '', key: `sources/${jobId}/a.png` }],
          expiresAt: '2999-01-01T00:00:00.000Z',
        },
      },
    ]);
  }

  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--serve', dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_CONNECTIONS: String(connections) },
  });
  const abort = setTimeout(() => {
    console.error('benchmark did not finish in time');
    child.kill();
    process.exit(1);
  }, RUN_TIMEOUT_MS);
  const ready = await new Promise<FromServer>((resolve) => child.once('message', resolve));
  if (ready.type !== 'ready') throw new Error('server did not start');
  const baseline = (await request(child, { type: 'report' })) as ServerReport;
  const url = `ws://127.0.0.1:${ready.port}/ws?token=${TOKEN}`;

  // Latencies of every delivery, in ms; publish times by "jobId:seq".
  const expected = connections * rounds;
  const latencies = new Float64Array(expected);
  let received = 0;
  let outOfOrder = 0;
  const publishedAt = new Map<string, number>();
  const lastSeq = new Int32Array(connections);
  let wake: (() => void) | undefined;
  let acknowledged = 0;

  const sockets: WebSocket[] = [];
  const openStarted = performance.now();
  const open = async (index: number): Promise<void> => {
    const jobId = jobIds[index % jobCount] as string;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets[index] = ws;
    lastSeq[index] = 1;
    ws.on('message', (data) => {
      const now = performance.now();
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.type === 'subscribed') acknowledged++;
      if (message.type !== 'event') return;
      if (message.seq !== (lastSeq[index] ?? 0) + 1) outOfOrder++;
      lastSeq[index] = message.seq;
      const sent = publishedAt.get(`${message.jobId}:${message.seq}`);
      if (sent !== undefined && received < expected) latencies[received++] = now - sent;
      wake?.();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.send(JSON.stringify({ type: 'subscribe', jobId, after: 1 }));
  };
  for (let next = 0; next < connections; ) {
    const batch = Array.from({ length: Math.min(CONNECT_CONCURRENCY, connections - next) }, () => open(next++));
    await Promise.all(batch);
  }
  while (acknowledged < connections) await new Promise((resolve) => setTimeout(resolve, 20));
  const openMs = performance.now() - openStarted;
  const connected = (await request(child, { type: 'report' })) as ServerReport;

  // Rounds: one event per job, appended to the store, then published in batches of ten.
  const waitFor = (count: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ROUND_TIMEOUT_MS);
      wake = () => {
        if (received < count) return;
        clearTimeout(timer);
        resolve(true);
      };
      wake();
    });
  const publishStarted = performance.now();
  let published = 0;
  for (let round = 0; round < rounds; round++) {
    const events: JobEvent[] = [];
    for (const jobId of jobIds) {
      events.push(
        ...(await store.append(jobId, round + 1, [
          { type: 'SourceStarted', data: { sourceId: 's1', attempt: round + 1 } },
        ])),
      );
    }
    for (let i = 0; i < events.length; i += PUBLISH_BATCH) {
      const batch = events.slice(i, i + PUBLISH_BATCH);
      const now = performance.now();
      for (const event of batch) publishedAt.set(`${event.jobId}:${event.seq}`, now);
      await bus.publish(batch);
      published += batch.length;
    }
    if (!(await waitFor(connections * (round + 1)))) {
      console.error(`round ${round + 1}: only ${received} of ${connections * (round + 1)} deliveries arrived`);
      break;
    }
  }
  const publishMs = performance.now() - publishStarted;
  const after = (await request(child, { type: 'report' })) as ServerReport;

  const sorted = latencies.slice(0, received).sort();
  const client = process.memoryUsage();
  const results = {
    connections,
    jobs: jobCount,
    rounds,
    eventsPublished: published,
    deliveriesExpected: expected,
    deliveriesReceived: received,
    outOfOrderOrDuplicate: outOfOrder,
    connectSeconds: Math.round(openMs) / 1000,
    deliveryThroughputPerSecond: Math.round(received / (publishMs / 1000)),
    latencyMs: {
      p50: Math.round(percentile(sorted, 50) * 100) / 100,
      p90: Math.round(percentile(sorted, 90) * 100) / 100,
      p99: Math.round(percentile(sorted, 99) * 100) / 100,
      max: Math.round((sorted[sorted.length - 1] ?? Number.NaN) * 100) / 100,
    },
    notifierMemory: {
      rssMiBBefore: baseline.rssMiB,
      rssMiBConnected: connected.rssMiB,
      rssMiBAfterRounds: after.rssMiB,
      heapUsedMiBConnected: connected.heapUsedMiB,
      kiBPerConnection: Math.round(((connected.rssMiB - baseline.rssMiB) * 1024 * 10) / connections) / 10,
      cpuSecondsDuringRounds: Math.round(after.cpuMs - connected.cpuMs) / 1000,
    },
    notifierStats: { connections: connected.connections, subscriptions: connected.subscriptions },
    clientProcessRssMiB: mib(client.rss),
    fdLimit,
  };
  console.log(JSON.stringify(results, null, 2));

  for (const ws of sockets) ws.terminate();
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.send({ type: 'stop' } satisfies ToServer);
  });
  clearTimeout(abort);
  await bus.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
  process.exitCode = received === expected && outOfOrder === 0 ? 0 : 1;
};

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex >= 0) {
  await serve(process.argv[serveIndex + 1] ?? '.', Number(process.env.BENCH_CONNECTIONS ?? 5000));
} else {
  await run();
}
