import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { buildApp } from '@delta-augment/gateway';
import { loadConfig } from '@delta-augment/ports';
import { LocalBlobStore, localPorts } from '@delta-augment/ports/local';
import { freePort, REPO, tempDir, waitFor } from '../helpers/server.js';

const readyz = async (url: string) => {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, boolean> } };
};

describe('disk space and unfinished writes', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  describe('when the data directory is on a full disk', () => {
    it('answers /readyz 503 until space is freed, with the blob store named', async () => {
      // Prepare: the real server in a private mount namespace whose DATA_DIR is an 8 MiB tmpfs
      const dataDir = tempDir('delta-disk-');
      const port = await freePort();
      const child = spawn(
        'unshare',
        [
          '--user',
          '--map-root-user',
          '--mount',
          'sh',
          '-ec',
          `mount -t tmpfs -o size=8m tmpfs "${dataDir}"\nexec "$0" --import tsx apps/local/src/main.ts`,
          process.execPath,
        ],
        {
          cwd: REPO,
          env: {
            ...process.env,
            PORT: String(port),
            HOST: '127.0.0.1',
            DATA_DIR: dataDir,
            WORKER_PROCESSES: '1',
            MIN_FREE_DISK_BYTES: String(2 * 1024 * 1024),
          },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        },
      );
      let output = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      cleanup.push(() => {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      });
      const url = `http://127.0.0.1:${port}`;
      await waitFor(
        async () =>
          (await fetch(`${url}/healthz`).then(
            (r) => r.ok || undefined,
            () => undefined,
          ))
            ? true
            : undefined,
        30_000,
        `the server to start:\n${output}`,
      );
      const ready = await readyz(url);
      // Act: fill the tmpfs as the server sees it, then free it again
      const filler = `/proc/${child.pid}/root${dataDir}/filler`;
      writeFileSync(filler, Buffer.alloc(7 * 1024 * 1024));
      const full = await readyz(url);
      rmSync(filler);
      const freed = await readyz(url);
      // Assess
      assert.equal(ready.status, 200, JSON.stringify(ready.body));
      assert.equal(full.status, 503);
      assert.equal(full.body.checks.blobs, false);
      assert.equal(full.body.checks.events, true);
      assert.equal(freed.status, 200);
    });
  });

  describe('when free space is below MIN_FREE_DISK_BYTES', () => {
    it('answers /readyz 503', async () => {
      // Prepare: a floor above what any disk here has free
      const config = loadConfig({
        DATA_DIR: tempDir(),
        SIGNING_SECRET: 'test-signing-secret',
        MIN_FREE_DISK_BYTES: String(2 ** 50),
      });
      const ports = localPorts(config);
      const { app } = await buildApp({ config, ports, webRoot: '/nonexistent' });
      cleanup.push(async () => {
        await app.close();
        await ports.close();
      });
      // Act
      const response = await app.inject('/readyz');
      // Assess
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json().checks, { events: true, blobs: false, queue: true });
    });
  });

  describe('when a write fails or a process dies in the middle of one', () => {
    it('leaves no sidecar after a failed write, and the sweep removes what a crash left', async () => {
      // Prepare
      const root = tempDir('delta-strays-');
      const blobs = new LocalBlobStore({ root });
      const failing = (async function* () {
        yield Buffer.from('half an image');
        throw new Error('the client went away');
      })();
      // Act 1: a streamed write whose body fails
      await assert.rejects(blobs.put('results/j_1/s_1/0000.jpg', failing as never));
      // Assess 1
      assert.deepEqual(await blobs.list('results/'), []);
      assert.deepEqual(await blobs.sweepStrays(0), { tempFiles: 0, sidecars: 0 }, 'nothing was left to sweep');
      // Act 2: what kill -9 leaves in the middle of a put (a temp file and a sidecar without its object)
      mkdirSync(join(root, 'objects', 'results', 'j_2', 's_1'), { recursive: true });
      mkdirSync(join(root, 'meta', 'results', 'j_2', 's_1'), { recursive: true });
      writeFileSync(
        join(root, 'objects', 'results', 'j_2', 's_1', '0000.jpg.0b6c1a52-3f0e-4c1b-9a51-6c1d2e3f4a5b.tmp'),
        'x',
      );
      writeFileSync(join(root, 'meta', 'results', 'j_2', 's_1', '0000.jpg.json'), '{}');
      await blobs.put('results/j_2/s_1/0001.jpg', Buffer.from('kept'), { contentType: 'image/jpeg' });
      const young = await blobs.sweepStrays(60_000);
      const swept = await blobs.sweepStrays(0);
      // Assess 2
      assert.deepEqual(young, { tempFiles: 0, sidecars: 0 }, 'files younger than the grace period are left alone');
      assert.deepEqual(swept, { tempFiles: 1, sidecars: 1 });
      assert.deepEqual(await blobs.list('results/'), ['results/j_2/s_1/0001.jpg']);
      assert.equal((await blobs.head('results/j_2/s_1/0001.jpg'))?.contentType, 'image/jpeg');
      // Act 3: deleting the job's folder removes temp files and sidecars with the objects
      writeFileSync(
        join(root, 'objects', 'results', 'j_2', 's_1', '0002.jpg.0b6c1a52-3f0e-4c1b-9a51-6c1d2e3f4a5c.tmp'),
        'x',
      );
      await blobs.deletePrefix('results/j_2/');
      // Assess 3
      assert.deepEqual(
        (await blobs.jobFolders()).filter((f) => f.jobId === 'j_2'),
        [],
      );
    });
  });
});
