import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig, localPorts, objectCreatedEvent, UPLOAD_QUEUE } from '@delta-augment/shared';
import { buildApp } from '@delta-augment/gateway';
const dataDir = mkdtempSync(join(tmpdir(), 'dprof-'));
const config = loadConfig({ DATA_DIR: dataDir, SIGNING_SECRET: 'x'.repeat(20), RATE_LIMIT_PER_MINUTE: '10000000' });
const ports = localPorts({ ...config, signedUrlBase: 'http://127.0.0.1/blobs' });
if (process.argv[3] === 'lean') {
  const root = join(dataDir, 'blobs'); const dirs = new Set<string>();
  const ensure = async (d: string) => { if (!dirs.has(d)) { await mkdir(d, { recursive: true }); dirs.add(d); } };
  (ports.blobs as unknown as { put: unknown }).put = async (key: string, body: Buffer, options: { contentType?: string; metadata?: Record<string, string> } = {}) => {
    const path = join(root, 'objects', key); const side = `${join(root, 'meta', key)}.json`;
    await Promise.all([ensure(dirname(path)), ensure(dirname(side))]);
    const tmp = `${path}.${randomUUID()}.tmp`;
    await Promise.all([writeFile(side, JSON.stringify({ contentType: options.contentType, metadata: options.metadata ?? {} })), writeFile(tmp, body, { flush: true })]);
    await rename(tmp, path);
    await ports.queue.send(UPLOAD_QUEUE, JSON.stringify(objectCreatedEvent('local', key, body.length, Date.now())));
    return { key, size: body.length, contentType: options.contentType ?? '', metadata: options.metadata ?? {}, lastModified: new Date().toISOString() };
  };
}
const { app } = await buildApp({ config, ports });
let n = 0;
app.addHook('onResponse', async () => { n++; });
await app.listen({ port: 18556, host: '127.0.0.1' });
const c0 = process.cpuUsage(); const e0 = performance.eventLoopUtilization();
const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/bench/.fire-tmp.ts', '18556', process.argv[2] ?? '10'], { stdio: 'inherit' });
await new Promise((r) => child.on('exit', r));
const c = process.cpuUsage(c0); const el = performance.eventLoopUtilization(e0);
console.log(`${process.argv[3] ?? 'current'}: requests ${n}, cpu ms/request user ${(c.user / 1000 / n).toFixed(2)} sys ${(c.system / 1000 / n).toFixed(2)}, ELU ${el.utilization.toFixed(2)}`);
await app.close(); await ports.close();
process.exit(0);
