import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');

/** A free loopback port (listen on 0, read it, close). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

export const tempDir = (prefix = 'delta-'): string => mkdtempSync(join(tmpdir(), prefix));

/** Every file under a folder, as paths relative to it. */
export const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));

export interface RunningServer {
  readonly url: string;
  readonly dataDir: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL the whole process tree (gateway and its worker). */
  kill9(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Signals the server's whole process group: the gateway and its worker processes. */
const signalGroup = (child: ChildProcess, signal: NodeJS.Signals): void => {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};

process.once('exit', () => {
  for (const child of running) signalGroup(child, 'SIGKILL');
});

const waitForHealth = async (
  url: string,
  child: ChildProcess,
  output: () => string,
  timeoutMs: number,
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the server exited (${child.exitCode ?? child.signalCode}) before /healthz answered:\n${output()}`,
      );
    }
    const ok = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) {
      signalGroup(child, 'SIGKILL');
      throw new Error(`GET ${url}/healthz did not answer 200 within ${timeoutMs} ms:\n${output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** Spawns the real server (`npm start`'s entry) on a free port and waits until /healthz answers. */
export const startServer = async (
  options: { dataDir?: string; env?: Record<string, string>; readyTimeoutMs?: number } = {},
): Promise<RunningServer> => {
  const port = await freePort();
  const dataDir = options.dataDir ?? tempDir();
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/local/src/main.ts'], {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  running.add(child);
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 500));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const output = () => lines.join('\n');
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const finish = async () => {
    await exited;
    signalGroup(child, 'SIGKILL'); // workers that outlived the server
    running.delete(child);
  };
  await waitForHealth(url, child, output, options.readyTimeoutMs ?? 30_000);
  return {
    url,
    dataDir,
    child,
    output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 20_000);
      await finish();
      clearTimeout(timer);
    },
    kill9: async () => {
      signalGroup(child, 'SIGKILL');
      await finish();
    },
  };
};

/** Polls `check` until it returns a value, or fails after `timeoutMs`. */
export const waitFor = async <T>(check: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};
