import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Stack, spawnStack } from '../helpers/browser.js';
import { sharedImagePath } from '../helpers/images.js';
import { readmeSnippet } from '../helpers/readme.js';
import { REPO, tempDir } from '../helpers/server.js';

const PYTHON = process.env.PYTHON ?? 'python3';
const CLIENT_DIR = join(REPO, 'clients', 'python');

/** The Python version on the PATH, or undefined when there is none. */
const pythonVersion = (): string | undefined => {
  const probe = spawnSync(PYTHON, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
};

const version = pythonVersion();
/** CI (CI=true, or REQUIRE_BROWSER=1 as .ci/run sets) must run the Python client's tests: a missing python3 fails them. */
const required = process.env.CI === 'true' || process.env.REQUIRE_BROWSER === '1';
const skip = version === undefined && !required ? `${PYTHON} not found: apt-get install python3` : false;

/** Parses both files as Python 3.9 and fails on any import outside the standard library (tqdm is optional). */
const STDLIB_CHECK = [
  'import ast, sys',
  'names = set()',
  'for file in ("delta_augment.py", "test_delta_augment.py"):',
  '    tree = ast.parse(open(file).read(), feature_version=(3, 9))',
  '    for node in ast.walk(tree):',
  '        if isinstance(node, ast.Import): names.update(a.name.split(".")[0] for a in node.names)',
  '        elif isinstance(node, ast.ImportFrom) and node.level == 0: names.add(node.module.split(".")[0])',
  'outside = sorted(n for n in names if n not in sys.stdlib_module_names and n not in ("tqdm", "delta_augment"))',
  'assert not outside, "imports outside the standard library: %s" % outside',
  'print("imports: " + ", ".join(sorted(names)))',
].join('\n');

const run = (args: readonly string[], env: Record<string, string>, cwd = CLIENT_DIR) =>
  new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn(PYTHON, args, {
      cwd,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? 1, output }));
  });

describe('the Python client (clients/python/delta_augment.py) against the real local stack', { skip }, () => {
  let stack: Stack;
  before(async () => {
    assert.ok(version, `${PYTHON} is required here (CI) but was not found: apt-get install python3`);
    stack = await spawnStack({ env: { WORKER_PROCESSES: '1', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
  });
  after(() => stack?.stop());

  it('is standard-library Python that parses as Python 3.9', async () => {
    // Act
    const check = await run(['-c', STDLIB_CHECK], {});
    // Assess
    assert.equal(check.code, 0, check.output);
    assert.match(check.output, /^imports: .*urllib/m);
  });

  it("runs the README's Python example as written, in a folder holding photos/cats/tom.jpg", async () => {
    // Prepare
    const cwd = tempDir('delta-py-readme-');
    mkdirSync(join(cwd, 'photos', 'cats'), { recursive: true });
    mkdirSync(join(cwd, 'photos', 'dogs'), { recursive: true });
    copyFileSync(sharedImagePath('ladybird.jpg'), join(cwd, 'photos', 'cats', 'tom.jpg'));
    copyFileSync(sharedImagePath('storm.jpg'), join(cwd, 'photos', 'dogs', 'rex.jpg'));
    // Act
    const result = await run(
      ['-c', readmeSnippet('python-augment')],
      { DELTA_URL: stack.url, PYTHONPATH: CLIENT_DIR },
      cwd,
    );
    // Assess
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /^completed 10 files in /m);
    assert.match(result.output, /'delta-classic'/);
    assert.ok(existsSync(join(cwd, 'photos-augmented', 'manifest.json')));
    assert.equal(readdirSync(join(cwd, 'photos-augmented', 'cats')).length, 4);
  });

  it('passes its unittest suite: augment with progress, resume, YOLO to COCO, preview, jobs, webhook signature', async () => {
    // Act
    const result = await run(['-m', 'unittest', '-v', 'test_delta_augment'], {
      DELTA_URL: stack.url,
      DELTA_TEST_IMAGES: dirname(sharedImagePath('ladybird.jpg')),
    });
    // Assess
    assert.equal(result.code, 0, `${result.output}\n--- server ---\n${stack.output()}`);
    const ran = Number(/^Ran (\d+) tests?/m.exec(result.output)?.[1] ?? 0);
    assert.ok(ran >= 10, `ran ${ran} Python tests:\n${result.output}`);
    assert.match(result.output, /^OK$/m);
  });
});
