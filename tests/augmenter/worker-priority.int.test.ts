import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { after, describe, it } from 'node:test';
import { sharedImage } from '../helpers/images.js';
import { fixture, seedJob } from '../helpers/jobs.js';
import { REPO, tempDir, waitFor } from '../helpers/server.js';

/** Niceness of every thread of a process (field 19 of /proc/<pid>/task/<tid>/stat), by thread name. */
const threadNiceness = (pid: number): Map<string, number> => {
  const found = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      found.set(`${name} ${tid}`, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return found;
};

const spawnWorker = (dataDir: string, env: Record<string, string>): ChildProcess =>
  spawn(process.execPath, ['--import', 'tsx', 'apps/local/src/worker-main.ts'], {
    cwd: REPO,
    env: { ...process.env, WORKER_CONCURRENCY: '1', ...env, DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });

/** Starts a worker, has it render a job (so that libuv's and libvips' threads exist), returns its threads' niceness. */
const nicenessAfterAJob = async (env: Record<string, string>, children: ChildProcess[]) => {
  const dataDir = tempDir();
  const f = fixture({ DATA_DIR: dataDir });
  const { jobId } = await seedJob(f, [{ name: 'dune.jpg', data: sharedImage('dune.jpg') }], { variants: 4 });
  const worker = spawnWorker(dataDir, env);
  children.push(worker);
  await waitFor(
    async () => ((await f.jobs.load(jobId))?.status === 'completed' ? true : undefined),
    60_000,
    'the job rendered by the worker',
  );
  const niceness = threadNiceness(worker.pid as number);
  worker.kill('SIGKILL');
  await f.close();
  return niceness;
};

describe('the local worker process priority (WORKER_NICE)', { skip: process.platform !== 'linux' }, () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('runs every thread of the worker, the image threads included, WORKER_NICE below its parent', async () => {
    // Act: the default (10) and an explicit value
    const byDefault = await nicenessAfterAJob({}, children);
    const explicit = await nicenessAfterAJob({ WORKER_NICE: '4' }, children);

    // Assess: libuv's pool and libvips' workers, started after the lowering, inherit it
    const own = getPriority();
    assert.ok(byDefault.size > 8, `threads: ${[...byDefault.keys()]}`);
    assert.ok(
      [...byDefault.keys()].some((name) => name.startsWith('libvips')),
      'libvips threads exist',
    );
    assert.deepEqual([...new Set(byDefault.values())], [Math.min(19, own + 10)], JSON.stringify([...byDefault]));
    assert.deepEqual([...new Set(explicit.values())], [Math.min(19, own + 4)], JSON.stringify([...explicit]));
  });

  it('leaves the worker at its parent priority with WORKER_NICE=0', async () => {
    // Act
    const niceness = await nicenessAfterAJob({ WORKER_NICE: '0' }, children);

    // Assess
    assert.deepEqual([...new Set(niceness.values())], [getPriority()]);
  });
});
