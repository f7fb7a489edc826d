/**
 * Entry of the local augmenter worker process, forked by the local stack. It exits when its parent
 * goes away (even after kill -9), and on SIGTERM/SIGINT stops receiving and finishes in-flight work. It runs at
 * a lower CPU priority than the gateway (WORKER_NICE).
 */

import { createLocalWorkerPool } from '@delta-augment/augmenter';
import { expandDataset } from '@delta-augment/datasets';
import { JobService, loadConfig } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import { lowerPriority } from './worker-priority.js';

const config = loadConfig();
// Image work yields the CPU to the gateway (WORKER_NICE), before any of it starts.
if (config.workerNice > 0) lowerPriority(config.workerNice);
const ports = localPorts(config);
const log = (message: string, fields?: Record<string, unknown>) =>
  process.stderr.write(
    `${JSON.stringify({ at: new Date().toISOString(), pid: process.pid, msg: message, ...fields })}\n`,
  );
const jobs = new JobService(ports.events, ports.bus);
// Dataset zips uploaded through a signed URL are read into their job's sources here, off the request.
const pool = createLocalWorkerPool(config, ports, log, jobs, {
  expandDataset: (jobId) => expandDataset({ jobs, blobs: ports.blobs, config, log }, jobId),
});
pool.start();
process.send?.({ type: 'ready' });

let stopping = false;
const shutdown = async (graceMs: number) => {
  if (stopping) return;
  stopping = true;
  await pool.stop(graceMs);
  await ports.close();
  // Appends retried because their aggregate had moved on (bench:scale reports them per variant).
  log('augmenter worker stopped', { conflictRetries: jobs.conflictRetries });
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown(20_000));
process.on('SIGINT', () => void shutdown(20_000));
process.on('disconnect', () => void shutdown(5_000));
