/**
 * WebSocket notifier benchmark: N concurrent connections on loopback, each subscribed to one job;
 * events are appended and published one append at a time (as JobService does) and the time from
 * publish to arrival at each client is measured.
 *
 *   node --import tsx scripts/bench/ws.ts [--connections 5000] [--jobs 1000] [--rounds 20]
 *
 * Three processes, as in the local run: this one holds the clients; a `notifier` child runs the
 * notifier on an HTTP server with its own SqliteEventBus; a `producer` child appends to the event
 * store and publishes through a third SqliteEventBus on the same file. Publish and receive times are
 * wall-clock (performance.timeOrigin + performance.now()), comparable across processes on one host.
 * Each of the notifier and client processes holds one file descriptor per connection, so
 * `ulimit -n` must exceed the connection count (checked at start).
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
import { SqliteEventBus, SqliteJobEventStore } from '@delta-augment/ports/local';
import WebSocket from 'ws';

const OWNER = 'bench';
const TOKEN = 'bench-key';
const CONNECT_CONCURRENCY = 200;
const ROUND_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 5 * 60_000;

interface Usage {
  readonly rssMiB: number;
  readonly heapUsedMiB: number;
  readonly cpuMs: number;
  readonly connections?: number;
  readonly subscriptions?: number;
}

type Command =
  | { readonly type: 'usage' }
  | { readonly type: 'round'; readonly round: number }
  | { readonly type: 'stop' };
type Reply =
  | { readonly type: 'ready'; readonly port?: number }
  | ({ readonly type: 'usage' } & Usage)
  | { readonly type: 'published'; readonly times: number[] };

const wallClock = () => performance.timeOrigin + performance.now();
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const jobIdOf = (index: number) => `bench-job-${index}`;

const usage = (): Usage => {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssMiB: mib(memory.rss),
    heapUsedMiB: mib(memory.heapUsed),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
};

const reply = (message: Reply) => process.send?.(message);

/** The notifier process. */
const serveNotifier = async (dir: string, connections: number): Promise<void> => {
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
  process.on('message', async (command: Command) => {
    if (command.type === 'usage') {
      reply({ type: 'usage', ...usage(), ...notifier.stats() });
      return;
    }
    await notifier.close();
    server.closeAllConnections();
    server.close();
    await bus.close();
    await store.close();
    process.exit(0);
  });
  reply({ type: 'ready', port: (server.address() as AddressInfo).port });
};

/** The producer process: one append and one publish per job per round; replies with each publish time. */
const serveProducer = async (dir: string, jobCount: number): Promise<void> => {
  const store = new SqliteJobEventStore(join(dir, 'events.sqlite'));
  const bus = new SqliteEventBus(join(dir, 'bus.sqlite'), 10);
  process.on('message', async (command: Command) => {
    if (command.type === 'usage') {
      reply({ type: 'usage', ...usage() });
    } else if (command.type === 'round') {
      const times: number[] = [];
      for (let job = 0; job < jobCount; job++) {
        const { events } = await store.appendToSource(jobIdOf(job), 's1', command.round - 1, [
          { type: 'SourceStarted', data: { sourceId: 's1', attempt: command.round } },
        ]);
        times.push(wallClock());
        await bus.publish(events);
      }
      reply({ type: 'published', times });
    } else {
      await bus.close();
      await store.close();
      process.exit(0);
    }
  });
  reply({ type: 'ready' });
};

const start = (role: string, dir: string, count: number): Promise<{ child: ChildProcess; ready: Reply }> => {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), `--${role}`, dir], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, BENCH_COUNT: String(count) },
  });
  return new Promise((resolve) => child.once('message', (ready: Reply) => resolve({ child, ready })));
};

const ask = <T extends Reply>(child: ChildProcess, command: Command): Promise<T> =>
  new Promise((resolve) => {
    child.once('message', (answer: T) => resolve(answer));
    child.send(command);
  });

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send({ type: 'stop' } satisfies Command);
  });

const percentile = (sorted: Float64Array, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const round2 = (value: number) => Math.round(value * 100) / 100;

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
  for (let job = 0; job < jobCount; job++) {
    await store.appendToJob(jobIdOf(job), 0, [
      {
        type: 'JobCreated',
        data: {
          owner: OWNER,
          pipeline: { preset: 'light', seed: 1 },
          variants: 1,
          tags: [],
          sources: [{ sourceId: 's1', name: 'a.png', label: '', key: `sources/${job}/a.png` }],
          sourceCount: 1,
          outputs: 1,
          expiresAt: '2999-01-01T00:00:00.000Z',
        },
      },
    ]);
  }
  await store.close();

  const notifier = await start('notifier', dir, connections);
  const producer = await start('producer', dir, jobCount);
  const abort = setTimeout(() => {
    console.error('benchmark did not finish in time');
    notifier.child.kill();
    producer.child.kill();
    process.exit(1);
  }, RUN_TIMEOUT_MS);
  const baseline = await ask<Usage & Reply>(notifier.child, { type: 'usage' });
  const url = `ws://127.0.0.1:${notifier.ready.type === 'ready' ? notifier.ready.port : 0}/ws?token=${TOKEN}`;

  // Every delivery: when it arrived and which (job, seq) it was, keyed job * stride + seq.
  const expected = connections * rounds;
  const stride = rounds + 2;
  const arrivedAt = new Float64Array(expected);
  const arrivedKey = new Int32Array(expected);
  const lastSeq = new Int32Array(connections).fill(1);
  let received = 0;
  let outOfOrder = 0;
  let acknowledged = 0;
  let wake: (() => void) | undefined;

  const sockets: WebSocket[] = [];
  const openStarted = performance.now();
  const open = async (index: number): Promise<void> => {
    const job = index % jobCount;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    ws.on('message', (data) => {
      const now = wallClock();
      const message = JSON.parse(data.toString()) as ServerMessage;
      if (message.type === 'subscribed') acknowledged++;
      if (message.type !== 'event') return;
      if (message.seq !== (lastSeq[index] ?? 0) + 1) outOfOrder++;
      lastSeq[index] = message.seq;
      if (received < expected) {
        arrivedAt[received] = now;
        arrivedKey[received] = job * stride + message.seq;
        received++;
      }
      wake?.();
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    ws.send(JSON.stringify({ type: 'subscribe', jobId: jobIdOf(job), after: 1 }));
  };
  for (let next = 0; next < connections; ) {
    await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, connections - next) }, () => open(next++)));
  }
  while (acknowledged < connections) await new Promise((resolve) => setTimeout(resolve, 20));
  const openMs = performance.now() - openStarted;
  const connected = await ask<Usage & Reply>(notifier.child, { type: 'usage' });

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
  const publishedAt = new Float64Array(jobCount * stride);
  const roundsStarted = performance.now();
  let published = 0;
  for (let round = 1; round <= rounds; round++) {
    const answer = await ask<Reply>(producer.child, { type: 'round', round });
    if (answer.type !== 'published') throw new Error('producer did not publish');
    answer.times.forEach((time, job) => {
      publishedAt[job * stride + round + 1] = time;
    });
    published += answer.times.length;
    if (!(await waitFor(connections * round))) {
      console.error(`round ${round}: only ${received} of ${connections * round} deliveries arrived`);
      break;
    }
  }
  const roundsMs = performance.now() - roundsStarted;
  const after = await ask<Usage & Reply>(notifier.child, { type: 'usage' });

  const latencies = new Float64Array(received);
  for (let i = 0; i < received; i++) latencies[i] = (arrivedAt[i] ?? 0) - (publishedAt[arrivedKey[i] ?? 0] ?? 0);
  latencies.sort();
  const results = {
    connections,
    jobs: jobCount,
    rounds,
    eventsPublished: published,
    deliveriesExpected: expected,
    deliveriesReceived: received,
    outOfOrderOrDuplicate: outOfOrder,
    connectSeconds: round2(openMs / 1000),
    deliveriesPerSecond: Math.round(received / (roundsMs / 1000)),
    latencyMs: {
      p50: round2(percentile(latencies, 50)),
      p90: round2(percentile(latencies, 90)),
      p99: round2(percentile(latencies, 99)),
      max: round2(latencies[latencies.length - 1] ?? Number.NaN),
    },
    notifier: {
      connections: connected.connections,
      subscriptions: connected.subscriptions,
      rssMiBIdle: baseline.rssMiB,
      rssMiBConnected: connected.rssMiB,
      rssMiBAfterRounds: after.rssMiB,
      heapUsedMiBConnected: connected.heapUsedMiB,
      kiBPerConnection: round2(((connected.rssMiB - baseline.rssMiB) * 1024) / connections),
      cpuSecondsDuringRounds: round2((after.cpuMs - connected.cpuMs) / 1000),
    },
    clientProcessRssMiB: mib(process.memoryUsage().rss),
    fdLimit,
  };
  console.log(JSON.stringify(results, null, 2));

  for (const ws of sockets) ws.terminate();
  await Promise.all([stop(notifier.child), stop(producer.child)]);
  clearTimeout(abort);
  await rm(dir, { recursive: true, force: true });
  process.exitCode = received === expected && outOfOrder === 0 ? 0 : 1;
};

const role = process.argv.find((arg) => arg === '--notifier' || arg === '--producer');
const roleDir = role ? (process.argv[process.argv.indexOf(role) + 1] ?? '.') : '';
const count = Number(process.env.BENCH_COUNT ?? 0);
if (role === '--notifier') await serveNotifier(roleDir, count);
else if (role === '--producer') await serveProducer(roleDir, count);
else await run();
