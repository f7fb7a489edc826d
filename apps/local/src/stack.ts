import { join } from 'node:path';
import { finaliseJob } from '@delta-augment/augmenter';
import {
  attachNotifier,
  buildApp,
  type Log,
  loadWebhookSettings,
  type ReconcileDeps,
  type RunningService,
  reconcile,
  startReconciler,
  startSweeper,
  startUploadDeadlineSweep,
  WebhookDispatcher,
} from '@delta-augment/gateway';
import type { Config } from '@delta-augment/ports';
import { localPorts, SqliteWebhookOutbox } from '@delta-augment/ports/local';
import { webRoot } from '@delta-augment/web';
import { lockDataDir } from './data-dir-lock.js';
import { signingSecretFor } from './signing-secret.js';
import { WorkerProcess } from './worker-process.js';

export type LocalStack = RunningService;

/**
 * The whole service on one machine: gateway + notifier in this process, the augmenter pool in child
 * processes (WORKER_PROCESSES, one per core by default), SQLite and the filesystem under DATA_DIR standing in for DynamoDB, SQS, EventBridge and S3.
 */
export const startLocalStack = async (base: Config, log: Log): Promise<LocalStack> => {
  const lock = lockDataDir(base.dataDir);
  const config: Config = { ...base, signingSecret: signingSecretFor(base.dataDir, base.signingSecret) };
  let url = config.publicUrl ?? '';
  const ports = localPorts({ ...config, signedUrlBase: () => `${url}/blobs` });
  const released = ports.queue.releaseInFlight();
  if (released > 0)
    log('released in-flight messages of a previous run', { released, previousOwnerDied: lock.previousOwnerDied });

  const webhooks = {
    outbox: new SqliteWebhookOutbox(join(config.dataDir, 'webhooks.sqlite')),
    settings: loadWebhookSettings(),
  };
  const { app, context } = await buildApp({ config, ports, logger: false, webRoot, webhooks });
  const dispatcher = new WebhookDispatcher({
    outbox: webhooks.outbox,
    jobs: context.jobs,
    clock: context.clock,
    settings: webhooks.settings,
    log,
  });
  dispatcher.start();
  // The data directory's lock proves the previous run is gone: whatever it left half done is repaired now,
  // before anything new arrives, then periodically for work untouched for the grace period.
  const reconcileDeps: ReconcileDeps = {
    ports,
    jobs: context.jobs,
    clock: context.clock,
    resend: (key, size) => context.resend(key, size),
    housekeeping: ports.blobs,
    finalise: (jobId) => finaliseJob({ blobs: ports.blobs, jobs: context.jobs }, jobId),
    log,
  };
  await reconcile(reconcileDeps, 0).catch((error: Error) =>
    log('start-up reconciliation failed', { reason: error.message }),
  );
  const stopReconciler = startReconciler(
    reconcileDeps,
    config.reconcile.intervalSeconds * 1000,
    config.reconcile.graceSeconds * 1000,
  );
  const address = await app.listen({ port: config.port, host: config.host });
  url = config.publicUrl ?? address.replace('0.0.0.0', '127.0.0.1');
  const notifier = attachNotifier(app.server, config, ports, log);

  const workerEnv = {
    ...process.env,
    DATA_DIR: config.dataDir,
    SIGNING_SECRET: config.signingSecret,
    ADAPTERS: 'local',
  };
  const workers = Array.from({ length: config.workerProcesses }, () => new WorkerProcess(workerEnv, log));
  await Promise.all(workers.map((w) => w.start()));
  const stopSweeper = startSweeper(context, context.clock, 3_600_000, log);
  const stopDeadline = startUploadDeadlineSweep(
    context,
    (jobId) => finaliseJob({ blobs: ports.blobs, jobs: context.jobs }, jobId),
    log,
  );
  log('Delta Augment is up', { url, dataDir: config.dataDir, workerPids: workers.map((w) => w.pid) });

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      stopSweeper();
      stopDeadline();
      stopReconciler();
      await dispatcher.stop();
      await notifier.close();
      await app.close();
      await Promise.all(workers.map((w) => w.stop()));
      await ports.close();
      await webhooks.outbox.close();
      lock.release();
      log('Delta Augment stopped', { conflictRetries: context.jobs.conflictRetries });
    })();
    return stopped;
  };
  return { app, url, stop };
};
