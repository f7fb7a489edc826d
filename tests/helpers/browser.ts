/**
 * Browser end-to-end helpers: start the real local stack (`npm start`'s entry) on a free port with a fresh
 * data directory, and launch Debian's Chromium through playwright-core. Both are always cleaned up by
 * their `stop()`/`close()`, and a process exit kills a stack that a failed test left behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { startServer } from './server.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Chromium to drive; Debian's package by default. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Flags without which Chromium stalls on a closed network, or needs a sandbox a container lacks. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launches headless Chromium. Close it with `browser.close()`. */
export const launchBrowser = (): Promise<Browser> =>
  chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });

export interface Stack {
  /** Base URL, e.g. http://127.0.0.1:41234 (no trailing slash). */
  readonly url: string;
  readonly dataDir: string;
  /** The last lines the server printed, for failure messages. */
  output(): string;
  /** Stops the server and everything it started, and removes the data directory. Safe to call twice. */
  stop(): Promise<void>;
}

export interface SpawnStackOptions {
  /** Extra environment for the server (e.g. API_KEYS). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for GET /healthz. */
  readonly readyTimeoutMs?: number;
}

/**
 * Starts the server as `npm start` runs it (PORT, HOST=127.0.0.1, a fresh DATA_DIR) and resolves once
 * GET /healthz answers 200; `stop()` also removes the data directory.
 */
export const spawnStack = async (options: SpawnStackOptions = {}): Promise<Stack> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'delta-web-e2e-'));
  const server = await startServer({
    dataDir,
    env: { NODE_ENV: 'test', ...options.env },
    readyTimeoutMs: options.readyTimeoutMs,
  }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= server.stop().then(() => rm(dataDir, { recursive: true, force: true }));
    return stopped;
  };
  return { url: server.url, dataDir, output: server.output, stop };
};
