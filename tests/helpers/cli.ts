import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './server.js';

export interface CliRun {
  readonly child: ChildProcess;
  /** The `--json` lines printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves with the exit code (or 128 + signal number). */
  readonly exited: Promise<number>;
  /** Resolves with the first line that `match` accepts (rejects if the CLI exits first). */
  waitForLine(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stderr(): string;
}

/** Runs `delta-augment <args>` (apps/cli/bin/delta-augment.mjs, as `npx delta-augment` does) as a child process. */
export const runCli = (args: readonly string[], env: Record<string, string> = {}): CliRun => {
  const child = spawn(process.execPath, [join(REPO, 'apps', 'cli', 'bin', 'delta-augment.mjs'), ...args], {
    cwd: REPO,
    env: { ...process.env, DELTA_API_KEY: '', DELTA_ADMIN_KEY: '', ADMIN_KEY: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    match: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let pending = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop() ?? '';
    for (const part of parts.filter(Boolean)) {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(part) as Record<string, unknown>;
      } catch {
        line = { text: part };
      }
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.match(line))) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString('utf8');
  });
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 128))),
  );
  return {
    child,
    lines,
    exited,
    stderr: () => errors,
    waitForLine: (match) => {
      const seen = lines.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ match, resolve });
        void exited.then((code) =>
          reject(new Error(`the CLI exited (${code}) before the expected line; stderr:\n${errors}`)),
        );
      });
    },
  };
};
