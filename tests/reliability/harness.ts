import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { REPO } from '../helpers/server.js';

const WORKER_ENTRY = join(REPO, 'apps', 'local', 'src', 'worker-main.ts');

export interface SpawnedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (the worker finishes in-flight work), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const track = (child: ChildProcess): SpawnedProcess => {
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid: child.pid ?? 0,
    output: () => output,
    exited,
    kill9: async () => {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 10_000) => {
      if (alive()) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
};

export interface WorkerOptions {
  readonly env?: Record<string, string>;
  /**
   * Shell commands run as root of a private user and mount namespace before the worker starts, e.g.
   * `mount -t tmpfs -o size=64k tmpfs <dir>`: the mounts are seen by this worker only and vanish with it.
   */
  readonly namespaceSetup?: string;
  /** Another worker entry (a test fixture), instead of the real `worker-main.ts`. */
  readonly entry?: string;
}

/**
 * Spawns the real augmenter worker process (worker-main.ts, as the local stack forks it) on `dataDir`
 * and resolves once it reports ready. The worker exits by itself when this process goes away.
 */
export const spawnWorker = async (dataDir: string, options: WorkerOptions = {}): Promise<SpawnedProcess> => {
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    ADAPTERS: 'local',
    WORKER_CONCURRENCY: '1',
    HANDLER_TIMEOUT_SECONDS: '10',
    VISIBILITY_TIMEOUT_SECONDS: '10',
    MAX_RECEIVE_COUNT: '5',
    ...options.env,
  };
  const stdio: ['ignore', 'pipe', 'pipe', 'ipc'] = ['ignore', 'pipe', 'pipe', 'ipc'];
  const entry = options.entry ?? WORKER_ENTRY;
  const child = options.namespaceSetup
    ? spawn(
        'unshare',
        [
          '--user',
          '--map-root-user',
          '--mount',
          'sh',
          '-ec',
          `${options.namespaceSetup}\nexec "$0" --import tsx "$1"`,
          process.execPath,
          entry,
        ],
        { cwd: REPO, env, stdio },
      )
    : spawn(process.execPath, ['--import', 'tsx', entry], { cwd: REPO, env, stdio });
  const worker = track(child);
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type?: string }) => {
      if (message.type === 'ready') resolve();
    });
    void worker.exited.then(({ code, signal }) =>
      reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal}):\n${worker.output()}`)),
    );
  });
  return worker;
};

/** Spawns a process and waits for it to exit (for start-ups that must be refused). */
export const runToExit = (
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<{ code: number | null; output: string }> => {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tracked = track(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return tracked.exited.then(({ code }) => {
    clearTimeout(timer);
    return { code, output: tracked.output() };
  });
};

export interface LockHolder {
  readonly process: SpawnedProcess;
  /** Commits the transaction and exits. */
  release(): Promise<void>;
}

const LOCKER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.exec('BEGIN EXCLUSIVE');
process.stdout.write('locked\\n');
const done = () => { db.exec('COMMIT'); db.close(); process.exit(0); };
process.stdin.on('data', done);
process.stdin.on('end', done);
setTimeout(done, Number(process.argv[2]));
`;

/**
 * Another process holding the SQLite file's write lock (BEGIN EXCLUSIVE) until `release()` or
 * `maxMs`, so that every writer of the file waits out its busy timeout and fails with SQLITE_BUSY.
 */
export const holdWriteLock = async (file: string, maxMs = 60_000): Promise<LockHolder> => {
  const child = spawn(process.execPath, ['-e', LOCKER, file, String(maxMs)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const locker = track(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', () => {
      if (locker.output().includes('locked')) resolve();
    });
    void locker.exited.then(() => reject(new Error(`the lock holder exited:\n${locker.output()}`)));
  });
  return {
    process: locker,
    release: async () => {
      child.stdin?.end();
      await locker.exited;
    },
  };
};

/** Peak resident memory of a process in bytes (VmHWM), Linux only. */
export const peakRssOf = (pid: number): number => {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
};

export interface SeenEvent {
  readonly jobId: string;
  readonly seq: number;
  readonly type: string;
}

/** A WebSocket client of the notifier, subscribed to `"*"`: every live event of the caller's jobs. */
export interface JobWatcher {
  readonly seen: Map<string, SeenEvent[]>;
  /** Server messages other than events (acks, errors), in order. */
  readonly messages: Record<string, unknown>[];
  /** Jobs whose terminal event this client received. */
  terminal(): Set<string>;
  /** Resolves once every job listed has reached a terminal event on this connection. */
  waitTerminal(jobIds: Iterable<string>, timeoutMs: number): Promise<void>;
  send(data: string | Buffer, options?: { binary?: boolean }): void;
  readonly socket: WebSocket;
  close(): Promise<void>;
}

export const watchJobs = async (url: string, token?: string): Promise<JobWatcher> => {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws${token ? `?token=${token}` : ''}`);
  const seen = new Map<string, SeenEvent[]>();
  const messages: Record<string, unknown>[] = [];
  const terminal = new Set<string>();
  let wake: (() => void) | undefined;
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as Record<string, unknown>;
    if (message.type === 'event') {
      const event = message.event as { jobId: string; seq: number; type: string };
      const list = seen.get(event.jobId) ?? [];
      list.push({ jobId: event.jobId, seq: event.seq, type: event.type });
      seen.set(event.jobId, list);
      if (event.type === 'JobCompleted' || event.type === 'JobFailed') terminal.add(event.jobId);
    } else {
      messages.push(message);
    }
    wake?.();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'subscribe', jobId: '*' }));
  await new Promise<void>((resolve) => {
    wake = () => {
      if (messages.some((m) => m.type === 'subscribed' && m.jobId === '*')) resolve();
    };
  });
  return {
    seen,
    messages,
    socket: ws,
    terminal: () => new Set(terminal),
    send: (data, options) => ws.send(data, { binary: options?.binary ?? false }),
    waitTerminal: (jobIds, timeoutMs) => {
      const wanted = [...jobIds];
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (wanted.every((id) => terminal.has(id))) {
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `terminal events not seen over WebSocket within ${timeoutMs} ms for ${wanted.filter((id) => !terminal.has(id)).join(', ')}`,
              ),
            ),
          timeoutMs,
        );
        wake = check;
        check();
      });
    },
    close: async () => {
      if (ws.readyState === WebSocket.CLOSED) return;
      const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
      ws.close();
      await closed;
    },
  };
};
