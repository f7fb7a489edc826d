#!/usr/bin/env node
// Runs the test files of some kinds (unit, int, e2e) and/or folders of tests/ (e.g. reliability), or all,
// with node's test runner, and ends with a line "N passed, N failed" so that CI can tell a run that
// executed no test.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const KINDS = ['unit', 'int', 'e2e'];
const wanted = process.argv[2] ? process.argv[2].split(',') : KINDS;
const kinds = wanted.filter((w) => KINDS.includes(w));
const folders = wanted.filter((w) => !KINDS.includes(w));
const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path);
    return [path];
  });
const files = walk('tests')
  .filter((f) => KINDS.some((kind) => f.endsWith(`.${kind}.test.ts`)))
  .filter(
    (f) => kinds.some((kind) => f.endsWith(`.${kind}.test.ts`)) || folders.some((d) => f.startsWith(join('tests', d))),
  )
  .sort();
if (files.length === 0) {
  console.error(`no test files for ${wanted.join(', ')}`);
  process.exit(1);
}
mkdirSync('.tmp', { recursive: true });
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    '--test-reporter-destination=.tmp/test-results.tap',
    ...files,
  ],
  { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, NODE_ENV: 'test' } },
);
child.on('exit', async (code) => {
  const { readFileSync } = await import('node:fs');
  const tap = readFileSync('.tmp/test-results.tap', 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)`, 'm').exec(tap)?.[1] ?? 0);
  const pass = count('pass');
  // A cancelled test (its file crashed, its suite's hook failed, the run was interrupted) did not pass.
  const fail = count('fail') + count('cancelled');
  // Skipped suites are not in the runner's own `# skipped` total: count every test or suite marked SKIP.
  const skips = [...tap.matchAll(/^\s*ok \d+ - .* # SKIP (.+)$/gm)].map((m) => m[1].trim());
  const skipped = Math.max(count('skipped'), skips.length);
  const reasons = [...new Set(skips)];
  for (const reason of reasons) console.log(`skipped: ${reason}`);
  console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
  process.exit(code === 0 && fail === 0 && pass > 0 ? 0 : 1);
});
