/**
 * Entry of the local augmenter worker process, forked by the local stack. It exits when its parent
 * goes away (even after kill -9), and on SIGTERM/SIGINT stops receiving and finishes in-flight work.
 */

import { createLocalWorkerPool } from '@delta-augment/augmenter';
import { loadConfig } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';

const config = loadConfig();
const ports = localPorts(config);
const log = (message: string, fields?: Record<string, unknown>) =>
  process.stderr.write(
    `${JSON.stringify({ at: new Date().toISOString(), pid: process.pid, msg: message, ...fields })}\n`,
  );
const pool = createLocalWorkerPool(config, ports, log);
pool.start();
process.send?.({ type: 'ready' });

let stopping = false;
const shutdown = async (graceMs: number) => {
  if (stopping) return;
  stopping = true;
  await pool.stop(graceMs);
  await ports.close();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown(20_000));
process.on('SIGINT', () => void shutdown(20_000));
process.on('disconnect', () => void shutdown(5_000));
