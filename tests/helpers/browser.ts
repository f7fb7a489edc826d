/**
 * Browser end-to-end helpers: start the real local stack (`npm start`'s entry) on a free port with a fresh
 * data directory, and launch Debian's Chromium through playwright-core. Both are always cleaned up by
 * their `stop()`/`close()`, and a process exit kills a stack that a failed test left behind.
 */

import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { startServer } from './server.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Chromium to drive: CHROMIUM_PATH, else `chromium` (Debian's package) or `chromium-browser` on the PATH. */
export const CHROMIUM_PATH: string | undefined =
  process.env.CHROMIUM_PATH ??
  (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .flatMap((dir) => [join(dir, 'chromium'), join(dir, 'chromium-browser')])
    .find(isExecutable);

/** The command that installs what the browser tests need. */
export const CHROMIUM_INSTALL = 'apt-get install chromium';

/** CI (CI=true, or REQUIRE_BROWSER=1 as .ci/run sets) must run the browser tests: a missing Chromium fails them. */
const browserRequired = process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1';

/**
 * The `skip` option of every browser suite: a message naming the install command when Chromium is
 * missing on a developer machine, `false` when it is there or when CI requires it (launching then fails).
 */
export const skipWithoutBrowser: string | false =
  CHROMIUM_PATH === undefined && !browserRequired
    ? `Chromium not found (no CHROMIUM_PATH, no chromium on the PATH): ${CHROMIUM_INSTALL}`
    : false;

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
export const launchBrowser = (): Promise<Browser> => {
  if (CHROMIUM_PATH === undefined) {
    throw new Error(`the browser tests are required here but Chromium was not found: ${CHROMIUM_INSTALL}`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
};

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

/** Where browser tests put their screenshots. */
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'web');

/** What {@link useBrowserStack} gives a suite once its `before` hook has run. */
export interface BrowserStack {
  stack: Stack;
  browser: Browser;
}

/**
 * Registers the suite's hooks: before, build the web page, start the stack (with `options`) and Chromium, and make
 * the artifacts folder; after, close both. Call it at the top of a `describe`.
 */
export const useBrowserStack = (options: SpawnStackOptions = {}): BrowserStack => {
  const suite = {} as BrowserStack;
  before(async () => {
    await promisify(execFile)(process.execPath, ['scripts/build-web.mjs'], { cwd: REPO_ROOT });
    await mkdir(ARTIFACTS, { recursive: true });
    suite.stack = await spawnStack(options);
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.stack?.stop();
  });
  return suite;
};
