/**
 * What the benchmarks that drive the real local stack share: starting `npm start`'s entry as a child
 * process on a free port with a temporary DATA_DIR, multipart bodies, waiting for a job over the
 * WebSocket, and the CPU and memory of the process tree read from /proc.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { WebSocket } from 'ws';
import { multipartBody } from '../../tests/helpers/app.js';
import { freePort } from '../../tests/helpers/server.js';

/** This checkout. */
export const REPO = resolve(import.meta.dirname, '..', '..');

export { freePort };

/** The local stack's entry in either layout (before and after the package restructure). */
function entryOf(repo: string): string {
  const entry = ['apps/local/src/main.ts', 'packages/gateway/src/main.ts'].find((e) => existsSync(join(repo, e)));
  if (entry === undefined) throw new Error(`no local stack entry in ${repo}`);
  return entry;
}

const ticks = 100; // USER_HZ on Linux

/** utime + stime of a process and its waited-for children, in seconds (0 if it is gone). */
export function cpuOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    return [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0) / ticks;
  } catch {
    return 0;
  }
}

/** Pids of a process and all its descendants. */
function treeOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  }
  return tree;
}

/** CPU seconds of a process and all its descendants. */
export const treeCpu = (root: number): number => treeOf(root).reduce((n, pid) => n + cpuOf(pid), 0);

export function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export interface Part {
  readonly filename: string;
  readonly type: string;
  readonly data: Buffer;
}

/** A multipart/form-data body: the fields first, then one `file` part per file. */
export function multipart(fields: Record<string, string>, files: readonly Part[]): { body: Buffer; type: string } {
  const { payload, headers } = multipartBody(
    files.map((f) => ({ name: f.filename, data: f.data, type: f.type })),
    fields,
  );
  return { body: payload, type: headers['content-type'] as string };
}

export const signal = (pids: readonly number[], name: NodeJS.Signals) => {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // the worker is gone already
    }
  }
};

export interface Stack {
  readonly url: string;
  readonly child: ChildProcess;
  /** The augmenter worker processes, from the stack's "Delta Augment is up" log line. */
  readonly workerPids: readonly number[];
  /** True when the whole stack runs pinned to core 0 (`taskset -c 0`); false when unpinned (no taskset, or not asked). */
  readonly pinned: boolean;
  /** The last 20,000 characters the stack and its workers logged. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Conflict retries the stack's processes logged when they stopped (the gateway and each augmenter worker);
 * throws when fewer than `processes` of them did.
 */
export const conflictRetriesIn = (output: string, processes: number): number => {
  const counts = output
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"conflictRetries"'))
    .map((line) => Number((JSON.parse(line) as { conflictRetries: number }).conflictRetries));
  if (counts.length < processes) throw new Error(`${counts.length} of ${processes} processes logged their conflicts`);
  return counts.reduce((n, c) => n + c, 0);
};

export interface StackStart {
  /** The checkout whose stack runs (another worktree measures a baseline in the same run). */
  readonly repo?: string;
  /** Pin the whole stack to one core with `taskset -c 0` (when taskset exists). */
  readonly pin?: boolean;
  /** Write a V8 CPU profile of every process of the stack into this directory. */
  readonly cpuProfileDir?: string;
  /** Environment added to the defaults (temporary DATA_DIR, high rate limit, one worker, production). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The worker pids of the "Delta Augment is up" log line, once it is there. */
const workerPidsIn = (output: string): number[] | undefined => {
  const line = output.split('\n').find((l) => l.includes('"msg":"Delta Augment is up"'));
  if (!line) return undefined;
  const up = JSON.parse(line) as { workerPid?: number; workerPids?: number[] };
  return up.workerPids ?? (up.workerPid ? [up.workerPid] : []);
};

/** Starts the local stack and waits until it is up; `stop` ends it, its workers and its DATA_DIR. */
export async function startStack(options: StackStart = {}): Promise<Stack> {
  const repo = options.repo ?? REPO;
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'delta-bench-stack-'));
  // Forked workers inherit the flags, so one profile per process.
  const profile = options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [];
  const node = [process.execPath, ...profile, '--import', 'tsx', entryOf(repo)];
  const canPin = options.pin === true && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const [command, ...args] = canPin ? ['taskset', '-c', '0', ...node] : node;
  const child = spawn(command as string, args, {
    cwd: repo,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      RATE_LIMIT_PER_MINUTE: '10000000',
      WORKER_PROCESSES: '1',
      NODE_ENV: 'production',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + 90_000;
  let workerPids: number[] | undefined;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the stack exited early:\n${output}`);
    workerPids = workerPidsIn(output);
    if (workerPids) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the stack did not start within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pids = workerPids;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    workerPids: pids,
    pinned: canPin,
    output: () => output,
    // Idempotent: a run stops its stack to read what it logged on the way out, and again in its finally.
    stop: () => {
      stopping ??= (async () => {
        signal(pids, 'SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
        await exited;
        clearTimeout(timer);
        // The workers this run started must not outlive it.
        signal(pids, 'SIGKILL');
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}

/** Resolves when the job's `JobCompleted` event arrives over the WebSocket (as the web page waits). */
export async function waitForJob(url: string, id: string): Promise<void> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  try {
    await new Promise<void>((done, fail) => {
      socket.once('open', () => socket.send(JSON.stringify({ type: 'subscribe', jobId: id, after: 0 })));
      socket.on('message', (raw) => {
        const message = JSON.parse(String(raw)) as { type: string; event?: { type: string } };
        if (message.event?.type === 'JobCompleted') done();
        if (message.event?.type === 'JobFailed') fail(new Error(`job ${id} failed`));
      });
      socket.once('error', fail);
      socket.once('close', () => fail(new Error('the WebSocket closed before the job completed')));
    });
  } finally {
    socket.close();
  }
}
