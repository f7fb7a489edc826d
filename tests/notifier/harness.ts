import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobEvent, JobEventBody, SourceEventBody } from '@delta-augment/core';
import {
  type Caller,
  createNotifier,
  type Notifier,
  type NotifierLimits,
  type ServerMessage,
} from '@delta-augment/notifier';
import { JobService } from '@delta-augment/ports';
import { SqliteEventBus, SqliteJobEventStore } from '@delta-augment/ports/local';
import WebSocket, { type ClientOptions } from 'ws';

/** Keys the test authenticator knows. */
export const CALLERS: Readonly<Record<string, Caller>> = {
  'alice-key': { owner: 'alice', admin: false },
  'bob-key': { owner: 'bob', admin: false },
  'root-key': { owner: 'root', admin: true },
};

/** Bearer header first, then `?token=`, as the gateway does. */
export const authenticate = (request: IncomingMessage): Caller | undefined => {
  const header = request.headers.authorization;
  const token = header?.startsWith('Bearer ')
    ? header.slice('Bearer '.length)
    : new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
  return token ? CALLERS[token] : undefined;
};

/** A temp dir with the event store and bus files, and a producer that appends and publishes like the app. */
export interface World {
  readonly dir: string;
  readonly store: SqliteJobEventStore;
  /** The producer's own bus instance on the shared file (as another process would have). */
  readonly bus: SqliteEventBus;
  readonly jobs: JobService;
  readonly busFile: string;
  close(): Promise<void>;
}

export const createWorld = async (): Promise<World> => {
  const dir = await mkdtemp(join(tmpdir(), 'notifier-'));
  const busFile = join(dir, 'bus.sqlite');
  const store = new SqliteJobEventStore(join(dir, 'events.sqlite'));
  const bus = new SqliteEventBus(busFile, 5);
  return {
    dir,
    store,
    bus,
    busFile,
    jobs: new JobService(store, bus),
    close: async () => {
      await bus.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

/** One notifier on its own HTTP server, with its own bus instance on the world's bus file. */
export interface Instance {
  readonly url: string;
  readonly notifier: Notifier;
  readonly server: Server;
  close(): Promise<void>;
}

export const startInstance = async (world: World, limits?: Partial<NotifierLimits>): Promise<Instance> => {
  const server = createServer((_request, response) => response.writeHead(404).end());
  const bus = new SqliteEventBus(world.busFile, 5);
  const notifier = createNotifier({ server, events: world.store, bus, authenticate, limits });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    notifier,
    server,
    close: async () => {
      await notifier.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await bus.close();
    },
  };
};

export const createdBody = (owner: string): JobEventBody => ({
  type: 'JobCreated',
  data: {
    owner,
    pipeline: { preset: 'light', seed: 1 },
    variants: 1,
    tags: [],
    sources: [{ sourceId: 's1', name: 'a.png', label: '', key: 'sources/a.png' }],
    sourceCount: 1,
    outputs: 1,
    expiresAt: '2999-01-01T00:00:00.000Z',
  },
});

export const startedBody = (attempt: number): SourceEventBody => ({
  type: 'SourceStarted',
  data: { sourceId: 's1', attempt },
});

/** Creates a job of `owner` and appends `more` events after JobCreated, publishing each append. */
export const createJob = async (world: World, owner: string, more = 0): Promise<string> => {
  const jobId = `job-${owner}-${Math.random().toString(36).slice(2, 10)}`;
  const { events } = await world.store.appendToJob(jobId, 0, [createdBody(owner)]);
  await world.bus.publish(events);
  await appendEvents(world, jobId, more);
  return jobId;
};

/** Appends `count` events one append at a time, each published (as JobService does). */
export const appendEvents = async (world: World, jobId: string, count: number): Promise<JobEvent[]> => {
  const appended: JobEvent[] = [];
  for (let i = 0; i < count; i++) {
    const attempt = ((await world.store.loadSource(jobId, 's1'))?.attempts ?? 0) + 1;
    const { events } = await world.jobs.handleSource(jobId, 's1', { type: 'StartSource', attempt });
    appended.push(...events);
  }
  return appended;
};

/** A WebSocket client that records what it receives. */
export class TestClient {
  readonly messages: ServerMessage[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()) as ServerMessage);
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.waiters) wake();
      });
    });
    ws.on('error', () => undefined);
  }

  static connect(url: string, key: string | undefined, options: ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(key ? `${url}?token=${key}` : url, options);
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_request, response) =>
        reject(
          Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { statusCode: response.statusCode }),
        ),
      );
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  subscribe(jobId: string, after?: number): void {
    this.send(after === undefined ? { type: 'subscribe', jobId } : { type: 'subscribe', jobId, after });
  }

  /** Seqs of the `event` messages of a job, in arrival order. */
  seqs(jobId: string): number[] {
    return this.messages.flatMap((m) => (m.type === 'event' && m.jobId === jobId ? [m.seq] : []));
  }

  /** Resolves once `done()` holds over the messages received; rejects after `timeoutMs`. */
  until(done: (messages: readonly ServerMessage[]) => boolean, timeoutMs = 5000): Promise<void> {
    if (done(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const wake = () => {
        if (!done(this.messages)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out; received ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      this.waiters.add(wake);
    });
  }

  /** Waits for the first message of a type (optionally of a job) received after `from` messages. */
  async next<T extends ServerMessage['type']>(
    type: T,
    jobId?: string,
    from = 0,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const match = (m: ServerMessage) => m.type === type && (jobId === undefined || ('jobId' in m && m.jobId === jobId));
    await this.until((messages) => messages.slice(from).some(match));
    return this.messages.slice(from).find(match) as Extract<ServerMessage, { type: T }>;
  }

  untilSeq(jobId: string, seq: number): Promise<void> {
    return this.until(() => this.seqs(jobId).includes(seq));
  }

  close(): void {
    this.ws.close();
  }
}

/** 1, 2, ..., n shifted to start at `from`. */
export const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Polls a condition every 10 ms for at most `timeoutMs`. */
export const eventually = async (condition: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};
