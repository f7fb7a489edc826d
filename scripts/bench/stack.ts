/**
 * End-to-end run of the local stack for the engine bench: starts `npm start`'s entry (pinned to one
 * core with `taskset -c 0` when taskset exists: gateway, notifier and the worker all share it), uploads
 * the photos as one job (N variants each, preset, JPEG out since the photos are JPEGs), and times it
 * from the start of the upload to the job's `completed` status (variants written and zipped).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { WebSocket } from 'ws';

export interface StackRun {
  readonly variants: number;
  readonly seconds: number;
  /** CPU seconds of the whole process tree (gateway, notifier, worker) during the job. */
  readonly cpuSeconds: number;
  /** Peak RSS of each augmenter worker process, MB. */
  readonly workerPeakRssMb: readonly number[];
}

export interface StackOptions {
  /** The checkout whose stack runs (another worktree measures a baseline in the same run). */
  readonly repo: string;
  readonly photos: readonly string[];
  readonly variants: number;
  readonly preset: string;
  readonly repeat: number;
  readonly pin: boolean;
  /** Write a V8 CPU profile of every process of the stack into this directory. */
  readonly cpuProfileDir?: string;
}

const freePort = (): Promise<number> =>
  new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** The local stack's entry in either layout (before and after the package restructure). */
function entryOf(repo: string): string {
  const entry = ['apps/local/src/main.ts', 'packages/gateway/src/main.ts'].find((e) => existsSync(join(repo, e)));
  if (entry === undefined) throw new Error(`no local stack entry in ${repo}`);
  return entry;
}

const ticks = 100; // USER_HZ on Linux

/** utime + stime of a process and its waited-for children, in seconds (0 if it is gone). */
function cpuOf(pid: number): number {
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

export const treeCpu = (root: number): number => treeOf(root).reduce((n, pid) => n + cpuOf(pid), 0);

function peakRssMb(pid: number): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function multipart(photos: readonly string[], fields: Record<string, string>): { body: Buffer; type: string } {
  const boundary = '----deltaEngineBench4f7c2a';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const photo of photos) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${basename(photo)}"\r\ncontent-type: image/jpeg\r\n\r\n`,
      ),
      readFileSync(photo),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

export interface Stack {
  readonly url: string;
  readonly child: ChildProcess;
  readonly workerPids: readonly number[];
  stop(): Promise<void>;
}

export async function startStack(repo: string, pin: boolean, cpuProfileDir: string | undefined): Promise<Stack> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'delta-bench-stack-'));
  // Forked workers inherit the flags, so one profile per process.
  const profile = cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`];
  const node = [process.execPath, ...profile, '--import', 'tsx', entryOf(repo)];
  const canPin = pin && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
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
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the stack exited early:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the stack did not start within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  // The worker is a child process running the augmenter; wait until it is there.
  let workerPids: number[] = [];
  for (let i = 0; i < 100 && workerPids.length === 0; i++) {
    workerPids = treeOf(child.pid as number).filter((pid) => {
      try {
        return /worker|augmenter/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    });
    if (workerPids.length === 0) await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    child,
    workerPids,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
      // The workers this run started must not outlive it.
      for (const pid of workerPids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Uploads one job and waits for it to complete; returns the seconds from upload to completion. */
async function runJob(url: string, photos: readonly string[], variants: number, preset: string): Promise<number> {
  const { body, type } = multipart(photos, { variants: String(variants), preset, seed: '1' });
  const started = performance.now();
  const response = await fetch(`${url}/api/jobs`, {
    method: 'POST',
    body: new Uint8Array(body),
    headers: { 'content-type': type },
  });
  if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  // Waits on the WebSocket, as the web page does (polling would add its own load to the one core).
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
  return (performance.now() - started) / 1000;
}

/** Starts the stack, warms it up with a small job, then runs `repeat` measured jobs. */
export async function benchStack(options: StackOptions): Promise<StackRun[]> {
  const stack = await startStack(options.repo, options.pin, options.cpuProfileDir);
  try {
    await runJob(stack.url, options.photos.slice(0, 2), 3, options.preset);
    const runs: StackRun[] = [];
    for (let r = 0; r < options.repeat; r++) {
      const cpuBefore = treeCpu(stack.child.pid as number);
      const seconds = await runJob(stack.url, options.photos, options.variants, options.preset);
      runs.push({
        variants: options.photos.length * options.variants,
        seconds,
        cpuSeconds: treeCpu(stack.child.pid as number) - cpuBefore,
        workerPeakRssMb: stack.workerPids.map(peakRssMb),
      });
    }
    return runs;
  } finally {
    await stack.stop();
  }
}
