/**
 * Load and soak run with injected faults: `node --import tsx scripts/soak.ts` (options below).
 *
 *   --uploads N        uploads in all (300)
 *   --duration S       seconds over which they are sent, in bursts (120)
 *   --burst N          uploads sent at once (10)
 *   --fault-rate F     share of deliveries whose source read fails with a transient error (0.1)
 *   --poison-rate F    share of uploads that are poison (0.05): half a JPEG cut in its scan data (a
 *                      permanent failure), half an object whose every read fails (dead-lettered)
 *   --kill-every S     kill -9 one worker process every S seconds and start another (0: never)
 *   --delete-rate F    share of the healthy uploads deleted (DELETE) while they are processed (0); they must
 *                      leave nothing behind
 *   --workers N        worker processes (2), each with WORKER_CONCURRENCY=1
 *   --variants N       variants per upload (4)
 *   --size WxH         source image size (320x240)
 *   --visibility S     queue visibility and handler timeout, seconds (5)
 *   --drain-timeout S  seconds to wait for the last terminal events after the last upload (180)
 *   --json             print the summary as JSON only
 *
 * It composes the local stack itself, from the real packages: the gateway (buildApp, listening on a free
 * port) and the notifier in this process, over the local adapters on a fresh DATA_DIR, and N worker
 * processes running the real worker pool and Lambda handler, whose blob store fails on purpose
 * (`--fault-rate`, poison objects). A WebSocket client subscribed to `"*"` times each upload from its
 * POST to its terminal event. At the end it prints uploads accepted, terminal events seen, DLQ depth,
 * p50/p99 end-to-end latency and peak memory, checks "nothing lost" (tests/reliability/invariants.ts)
 * and exits 1 when uploads accepted ≠ terminal events or an invariant is broken.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLocalWorkerPool, finaliseJob } from '@delta-augment/augmenter';
import { TransientError } from '@delta-augment/core';
import { buildApp, type ReconcileReport, reconcile } from '@delta-augment/gateway';
import { createNotifier } from '@delta-augment/notifier';
import { type BlobStore, DEAD_LETTER_QUEUE, loadConfig, type Ports, UPLOAD_QUEUE } from '@delta-augment/ports';
import { localPorts } from '@delta-augment/ports/local';
import sharp from 'sharp';
import WebSocket from 'ws';
import { checkBlobs, checkNothingLost } from '../tests/reliability/invariants.js';

const { values } = parseArgs({
  options: {
    worker: { type: 'boolean', default: false },
    uploads: { type: 'string', default: '300' },
    duration: { type: 'string', default: '120' },
    burst: { type: 'string', default: '10' },
    'fault-rate': { type: 'string', default: '0.1' },
    'poison-rate': { type: 'string', default: '0.05' },
    'kill-every': { type: 'string', default: '0' },
    'delete-rate': { type: 'string', default: '0' },
    workers: { type: 'string', default: '2' },
    variants: { type: 'string', default: '4' },
    size: { type: 'string', default: '320x240' },
    visibility: { type: 'string', default: '5' },
    'drain-timeout': { type: 'string', default: '180' },
    json: { type: 'boolean', default: false },
  },
});

/** The periodic reconciler of the run (the local stack's defaults are 300 s and 900 s). */
const RECONCILE_EVERY_MS = 3000;
const RECONCILE_GRACE_MS = 60_000;

/** Marks an upload whose every read fails: it must end dead-lettered. */
const POISON_TRANSIENT = 'poison-transient-';
/** Marks an upload cut in its scan data: it must end failed permanently. */
const POISON_CORRUPT = 'poison-corrupt-';

const peakRss = (pid: number): number => {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
};

// ---------------------------------------------------------------------------------------------------
// Worker mode: the real worker pool and handler, with a blob store that fails on purpose.

/** Fails source reads: every read of a transient-poison object, and a `rate` share of the others. */
const withFaults = (inner: BlobStore, rate: number, onFault: () => void): BlobStore =>
  new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'getBuffer') {
        return async (key: string) => {
          if (key.includes(`/${POISON_TRANSIENT}`)) throw new TransientError(`injected: ${key} cannot be read`);
          if (key.startsWith('sources/') && Math.random() < rate) {
            onFault();
            throw new TransientError(`injected: storage unavailable reading ${key}`);
          }
          return target.getBuffer(key);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });

/** Tells the driver something, unless it has already gone (a late message is of no use to it). */
const tell = (message: Record<string, unknown>) => {
  if (process.connected) process.send?.(message, undefined, undefined, () => undefined);
};

const runWorker = () => {
  const config = loadConfig();
  const ports = localPorts(config);
  let faults = 0;
  const faulty: Ports = {
    ...ports,
    blobs: withFaults(ports.blobs, Number(process.env.SOAK_FAULT_RATE ?? 0), () => {
      faults += 1;
      tell({ type: 'fault', faults });
    }),
  };
  const pool = createLocalWorkerPool(config, faulty);
  pool.start();
  tell({ type: 'ready' });
  if (!process.connected) process.exit(0);
  process.on('disconnect', () => {
    void pool
      .stop(2000)
      .then(() => ports.close())
      .finally(() => process.exit(0));
  });
};

// ---------------------------------------------------------------------------------------------------
// Driver mode.

interface Summary {
  readonly settings: Record<string, unknown>;
  readonly uploadsSent: number;
  readonly uploadsAccepted: number;
  readonly uploadsRefused: number;
  readonly terminalEventsSeen: number;
  readonly completed: number;
  readonly failed: number;
  readonly deadLetterDepth: number;
  readonly poisonAccepted: { corrupt: number; transient: number };
  readonly transientFaultsInjected: number;
  readonly retriedDeliveries: number;
  readonly workerKills: number;
  /** Uploads deleted while processed; they are left out of the terminal-event rules and must leave no file. */
  readonly deletedWhileProcessing: number;
  /** What the end-of-run reconciler pass (as at a restart) repaired: temp files of killed workers, mostly. */
  readonly reconciled: ReconcileReport;
  /** What the periodic reconciler repaired during the run (dead letters of killed last attempts, mostly). */
  readonly reconciledDuringRun: Record<string, number>;
  readonly latencyMs: { p50: number; p90: number; p99: number; max: number };
  /** The same without the poison uploads. */
  readonly healthyLatencyMs: { p50: number; p99: number };
  readonly peakRssMiB: { gateway: number; worker: number };
  readonly wallSeconds: number;
  readonly violations: unknown[];
  readonly ok: boolean;
}

const percentile = (sorted: readonly number[], p: number): number =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);

const runDriver = async (): Promise<void> => {
  const uploads = Number(values.uploads);
  const duration = Number(values.duration);
  const burst = Math.max(1, Number(values.burst));
  const faultRate = Number(values['fault-rate']);
  const poisonRate = Number(values['poison-rate']);
  const deleteRate = Number(values['delete-rate']);
  const killEvery = Number(values['kill-every']);
  const workerCount = Math.max(1, Number(values.workers));
  const [width = 320, height = 240] = String(values.size).split('x').map(Number);
  const visibility = String(values.visibility);
  const say = (line: string) => {
    if (!values.json) process.stderr.write(`${line}\n`);
  };

  const dataDir = mkdtempSync(join(tmpdir(), 'delta-soak-'));
  const env = {
    DATA_DIR: dataDir,
    HANDLER_TIMEOUT_SECONDS: visibility,
    VISIBILITY_TIMEOUT_SECONDS: visibility,
    MAX_RECEIVE_COUNT: '5',
    WORKER_CONCURRENCY: '1',
    RATE_LIMIT_PER_MINUTE: '1000000',
    SIGNING_SECRET: 'soak-signing-secret',
    MAX_VARIANTS: '100',
    // The soak sends bursts from one caller on purpose; the per-caller upload slots would refuse them
    MAX_CONCURRENT_UPLOADS: '64',
    MAX_CONCURRENT_UPLOADS_PER_CALLER: '64',
  };
  const config = loadConfig(env);
  const ports = localPorts({ ...config, signedUrlBase: 'http://127.0.0.1:9/blobs' });
  const { app, context } = await buildApp({ config, ports, webRoot: '/nonexistent' });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const notifier = createNotifier({
    server: app.server,
    events: ports.events,
    bus: ports.bus,
    authenticate: () => ({ owner: 'local', admin: true }),
  });

  // Workers
  const workers = new Set<ChildProcess>();
  let faults = 0;
  let kills = 0;
  let workerPeak = 0;
  const faultsBy = new Map<number, number>();
  const starting = new Set<Promise<unknown>>();
  /** Resolves when the worker is ready; rejects if it exits first (the killer may pick a worker still starting). */
  const startWorker = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(import.meta.filename, ['--worker'], {
        env: { ...process.env, ...env, SOAK_FAULT_RATE: String(faultRate) },
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      child.on('message', (message: { type: string; faults?: number }) => {
        if (message.type === 'ready') resolve(child);
        if (message.type === 'fault' && child.pid) {
          faultsBy.set(child.pid, message.faults ?? 0);
          faults = [...faultsBy.values()].reduce((a, b) => a + b, 0);
        }
      });
      child.once('exit', (code, signal) => {
        workers.delete(child);
        reject(new Error(`worker ${child.pid} exited before it was ready (${signal ?? code})`));
      });
      child.once('error', reject);
      workers.add(child);
    });
  /** A replacement for a killed worker, tracked until it is ready or gone. */
  const replaceWorker = () => {
    const started: Promise<unknown> = startWorker()
      .catch(() => undefined)
      .finally(() => starting.delete(started));
    starting.add(started);
  };
  await Promise.all(Array.from({ length: workerCount }, startWorker));
  const sampler = setInterval(() => {
    for (const w of workers) if (w.pid) workerPeak = Math.max(workerPeak, peakRss(w.pid));
  }, 500);
  const killer =
    killEvery > 0
      ? setInterval(() => {
          const victim = [...workers][Math.floor(Math.random() * workers.size)];
          if (!victim?.pid) return;
          workerPeak = Math.max(workerPeak, peakRss(victim.pid));
          victim.kill('SIGKILL');
          kills += 1;
          replaceWorker();
        }, killEvery * 1000)
      : undefined;
  // The reconciler, as the local stack runs it (here every RECONCILE_EVERY_MS with RECONCILE_GRACE_MS): it ends the
  // jobs whose message a killed worker's last attempt sent to the dead-letter queue with nothing recorded.
  const reconcileDeps = {
    ports,
    jobs: context.jobs,
    clock: context.clock,
    resend: context.resend,
    housekeeping: ports.blobs,
    finalise: (jobId: string) => finaliseJob({ blobs: ports.blobs, jobs: context.jobs }, jobId),
  };
  const duringRun: Record<string, number> = {};
  let reconciling: Promise<void> | undefined;
  const reconciler = setInterval(() => {
    reconciling ??= reconcile(reconcileDeps, RECONCILE_GRACE_MS)
      .then(
        (report) => {
          for (const [k, n] of Object.entries(report)) duringRun[k] = (duringRun[k] ?? 0) + n;
        },
        (error: Error) => say(`reconciler pass failed: ${error.message}`),
      )
      .finally(() => {
        reconciling = undefined;
      });
  }, RECONCILE_EVERY_MS);

  // The watcher: every terminal event, timed against the upload's POST
  const sentAt = new Map<string, number>();
  const endedAt = new Map<string, { at: number; type: string }>();
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { type: string; jobId?: string; event?: { type: string } };
    const type = message.event?.type;
    if (message.type === 'event' && message.jobId && (type === 'JobCompleted' || type === 'JobFailed')) {
      if (!endedAt.has(message.jobId)) endedAt.set(message.jobId, { at: Date.now(), type });
    }
  });
  ws.send(JSON.stringify({ type: 'subscribe', jobId: '*' }));
  await new Promise((resolve) => setTimeout(resolve, 200));

  // The uploads
  const image = await sharp({
    create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } },
  })
    .composite([
      {
        input: Buffer.from(
          `<svg width="${width}" height="${height}"><circle cx="${width / 2}" cy="${height / 2}" r="${Math.min(width, height) / 3}" fill="#e33"/></svg>`,
        ),
      },
    ])
    .jpeg()
    .toBuffer();
  const corrupt = image.subarray(0, Math.floor(image.length * 0.6));
  const started = Date.now();
  let sent = 0;
  let refused = 0;
  const poisons = { corrupt: 0, transient: 0 };
  const poisonIds = new Set<string>();
  const accepted: string[] = [];
  const deleted = new Set<string>();
  const deletions: Promise<unknown>[] = [];
  const send = async (n: number) => {
    const poison = Math.random() < poisonRate;
    const transient = poison && n % 2 === 0;
    const name = poison ? `${transient ? POISON_TRANSIENT : POISON_CORRUPT}${n}.jpg` : `upload-${n}.jpg`;
    const form = new FormData();
    form.append('variants', String(values.variants));
    form.append('tags', 'soak');
    form.append(
      'file',
      new Blob([new Uint8Array(poison && !transient ? corrupt : image)], { type: 'image/jpeg' }),
      name,
    );
    const at = Date.now();
    sent += 1;
    try {
      const response = await fetch(`${url}/api/jobs`, { method: 'POST', body: form });
      if (response.status !== 202) {
        refused += 1;
        say(`upload ${n} refused: ${response.status} ${(await response.text()).slice(0, 200)}`);
        return;
      }
      const { id } = (await response.json()) as { id: string };
      sentAt.set(id, at);
      accepted.push(id);
      if (poison) {
        poisons[transient ? 'transient' : 'corrupt'] += 1;
        poisonIds.add(id);
      } else if (Math.random() < deleteRate) {
        // Deleted a moment later, most likely while a worker renders it
        deleted.add(id);
        deletions.push(
          new Promise((resolve) => setTimeout(resolve, Math.random() * 400)).then(() =>
            fetch(`${url}/api/jobs/${id}`, { method: 'DELETE' }).then((r) => {
              if (r.status !== 204) say(`delete of ${id} answered ${r.status}`);
            }),
          ),
        );
      }
    } catch (error) {
      refused += 1;
      say(`upload ${n} failed: ${(error as Error).message}`);
    }
  };
  const bursts = Math.ceil(uploads / burst);
  const gapMs = bursts > 1 ? (duration * 1000) / (bursts - 1) : 0;
  say(`soak: ${uploads} uploads in ${bursts} bursts of ${burst}, every ${Math.round(gapMs)} ms, on ${url}`);
  for (let b = 0; b < bursts; b++) {
    const due = started + b * gapMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    const n0 = b * burst;
    await Promise.all(Array.from({ length: Math.min(burst, uploads - n0) }, (_, i) => send(n0 + i)));
    if (b % 10 === 0) say(`  ${sent} sent, ${accepted.length} accepted, ${endedAt.size} ended`);
  }

  // Drain
  const drainDeadline = Date.now() + Number(values['drain-timeout']) * 1000;
  await Promise.allSettled(deletions);
  const kept = accepted.filter((id) => !deleted.has(id));
  while (kept.some((id) => !endedAt.has(id)) && Date.now() < drainDeadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  // A dead-lettered message moves to the DLQ on the first receive after its last visibility timeout
  const settleDeadline = Date.now() + (Number(visibility) * 2 + 5) * 1000;
  for (;;) {
    const left = await ports.queue.stats(UPLOAD_QUEUE);
    if (left.visible + left.inFlight + left.delayed === 0 || Date.now() > settleDeadline) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  clearInterval(sampler);
  if (killer) clearInterval(killer);
  clearInterval(reconciler);
  await reconciling;
  for (const w of workers) if (w.pid) workerPeak = Math.max(workerPeak, peakRss(w.pid));

  // Figures
  const latencyOf = (ids: readonly string[]) =>
    ids
      .flatMap((id) => {
        const end = endedAt.get(id)?.at;
        const start = sentAt.get(id);
        return end !== undefined && start !== undefined ? [end - start] : [];
      })
      .sort((a, b) => a - b);
  const healthy = latencyOf(accepted.filter((id) => !poisonIds.has(id)));
  const latencies = accepted
    .flatMap((id) => {
      const end = endedAt.get(id)?.at;
      const start = sentAt.get(id);
      return end !== undefined && start !== undefined ? [end - start] : [];
    })
    .sort((a, b) => a - b);
  const report = await checkNothingLost({
    events: ports.events,
    queue: ports.queue,
    jobIds: kept,
    requireTerminal: true,
  });
  // The blob store: nothing orphaned and nothing counted but missing, as the workers left it; temp files of
  // writes cut short by kill -9 are allowed only until the reconciler's pass that the next start runs.
  const blobsInput = { events: ports.events, blobs: ports.blobs, dataDir };
  const beforeReconcile = (await checkBlobs(blobsInput)).filter((v) => v.rule !== 'stray-file');
  const reconciled = await reconcile({ ...reconcileDeps, finalise: undefined }, 0);
  const blobViolations = [...beforeReconcile, ...(await checkBlobs(blobsInput))];
  let retried = 0;
  for (const id of kept) {
    retried += (await ports.events.read(id)).filter((e) => e.type === 'SourceFailed' && !e.data.final).length;
  }
  const dlq = await ports.queue.stats(DEAD_LETTER_QUEUE);
  const upq = await ports.queue.stats(UPLOAD_QUEUE);
  const ended = kept.filter((id) => endedAt.has(id));
  const summary: Summary = {
    settings: {
      uploads,
      duration,
      burst,
      faultRate,
      poisonRate,
      killEvery,
      workers: workerCount,
      variants: Number(values.variants),
      size: `${width}x${height}`,
      visibilitySeconds: Number(visibility),
      maxReceiveCount: 5,
    },
    uploadsSent: sent,
    uploadsAccepted: accepted.length,
    uploadsRefused: refused,
    terminalEventsSeen: ended.length,
    completed: ended.filter((id) => endedAt.get(id)?.type === 'JobCompleted').length,
    failed: ended.filter((id) => endedAt.get(id)?.type === 'JobFailed').length,
    deadLetterDepth: dlq.visible + dlq.inFlight + dlq.delayed,
    poisonAccepted: poisons,
    transientFaultsInjected: faults,
    retriedDeliveries: retried,
    workerKills: kills,
    deletedWhileProcessing: deleted.size,
    reconciled,
    reconciledDuringRun: duringRun,
    latencyMs: {
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? 0,
    },
    healthyLatencyMs: { p50: percentile(healthy, 50), p99: percentile(healthy, 99) },
    peakRssMiB: { gateway: Math.round(peakRss(process.pid) / 1048576), worker: Math.round(workerPeak / 1048576) },
    wallSeconds: Math.round((Date.now() - started) / 1000),
    violations: [...report.violations, ...blobViolations],
    ok:
      kept.length === ended.length &&
      report.violations.length === 0 &&
      blobViolations.length === 0 &&
      report.terminal === kept.length,
  };

  ws.close();
  await Promise.allSettled([...starting]);
  for (const w of workers) w.disconnect();
  await notifier.close();
  await app.close();
  await ports.close();

  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  } else {
    const row = (k: string, v: unknown) => process.stdout.write(`${k.padEnd(28)} ${String(v)}\n`);
    row('uploads sent', summary.uploadsSent);
    row('uploads accepted', summary.uploadsAccepted);
    row(
      'terminal events (seen)',
      `${summary.terminalEventsSeen} (${summary.completed} completed, ${summary.failed} failed)`,
    );
    row('poison accepted', `${poisons.corrupt} corrupt (fail at once), ${poisons.transient} unreadable (DLQ)`);
    row('DLQ depth', summary.deadLetterDepth);
    row('upload queue left', upq.visible + upq.inFlight + upq.delayed);
    row('transient faults injected', summary.transientFaultsInjected);
    row('retried deliveries', summary.retriedDeliveries);
    row('worker kills', summary.workerKills);
    row('deleted while processed', summary.deletedWhileProcessing);
    row('reconciled during the run', JSON.stringify(summary.reconciledDuringRun));
    row('reconciled at the end', JSON.stringify(summary.reconciled));
    row('latency p50 / p90 / p99', `${summary.latencyMs.p50} / ${summary.latencyMs.p90} / ${summary.latencyMs.p99} ms`);
    row('latency max', `${summary.latencyMs.max} ms`);
    row('latency p50 / p99, no poison', `${summary.healthyLatencyMs.p50} / ${summary.healthyLatencyMs.p99} ms`);
    row('peak RSS gateway / worker', `${summary.peakRssMiB.gateway} / ${summary.peakRssMiB.worker} MiB`);
    row('wall time', `${summary.wallSeconds} s`);
    row('"nothing lost" + blob violations', summary.violations.length);
    row('uploads = terminal events', summary.ok ? 'yes' : 'NO');
    if (summary.violations.length)
      process.stdout.write(`${JSON.stringify(summary.violations.slice(0, 20), null, 2)}\n`);
  }
  process.exit(summary.ok ? 0 : 1);
};

if (values.worker) runWorker();
else
  runDriver().catch((error: unknown) => {
    process.stderr.write(`soak failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
