/**
 * Gateway load benchmark: `node --import tsx scripts/bench/load.ts` (options: --connections N
 * --duration S --rate N --variants N --image FILE --bytes N --workers N
 * --mode gateway-only|with-workers|both --quiet).
 *
 * Starts the real server (`npm start`'s entry) as a child process on a free port with a temporary
 * DATA_DIR and a rate limit high enough not to interfere, builds a ~200 KB JPEG (one of the shared
 * sample images resized to 1200x900, its quality searched so that the file lands near --bytes), and
 * sends multipart uploads of it with `variants=20` from 64 connections for 10 s (after a 2 s warm-up):
 * - closed loop (the default): autocannon, each connection sending again as soon as it is answered,
 *   which measures the most uploads per second the gateway accepts;
 * - open loop (`--rate 500`): uploads start on a fixed schedule, which measures the latency at that rate.
 *
 * Two modes, because on a 2-core machine the augmenter workers compete with the gateway for CPU:
 * - `gateway-only`: the worker processes are paused (SIGSTOP) for the run, so every core serves uploads;
 *   the uploads are accepted and queued, exactly as when workers run on other machines (Lambda).
 * - `with-workers`: the augmenter workers run (--workers processes, default 1, one message at a time
 *   each) and render variants while the uploads come in.
 *
 * Prints accepted uploads per second, p50/p97.5/p99 latency, the non-2xx count, and the CPU the gateway
 * and the load generator spent per upload, against the target of 500 accepted uploads/s with p99 under
 * 47 ms.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import sharp from 'sharp';
import { multipart, REPO, signal, startStack } from './local-stack.js';

const TARGET_RPS = 500;
const TARGET_P99_MS = 47;

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    variants: { type: 'string', default: '20' },
    image: { type: 'string' },
    bytes: { type: 'string', default: '200000' },
    mode: { type: 'string', default: 'both' },
    workers: { type: 'string', default: '1' },
    warmup: { type: 'string', default: '2' },
    rate: { type: 'string', default: '0' },
    quiet: { type: 'boolean', default: false },
  },
});

const say = (line: string) => {
  if (!values.quiet) process.stderr.write(`${line}\n`);
};

/** The shared sample images: ../shared/images beside the checkout, or /work/shared/images. */
const sampleImage = (): string => {
  if (values.image) return resolve(values.image);
  for (const dir of [join(REPO, '..', 'shared', 'images'), '/work/shared/images']) {
    try {
      const file = readdirSync(dir).find((f) => f.endsWith('.jpg'));
      if (file) return join(dir, file);
    } catch {
      // try the next place
    }
  }
  throw new Error('no sample image: pass --image FILE');
};

/** A 1200x900 JPEG whose quality is searched so that its size lands near `target` bytes. */
const jpegNear = async (file: string, target: number): Promise<{ data: Buffer; quality: number }> => {
  const resized = sharp(readFileSync(file)).resize(1200, 900, { fit: 'fill' });
  let best: { data: Buffer; quality: number } | undefined;
  let low = 30;
  let high = 100;
  while (low <= high) {
    const quality = Math.floor((low + high) / 2);
    const data = await resized.clone().jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();
    if (!best || Math.abs(data.length - target) < Math.abs(best.data.length - target)) best = { data, quality };
    if (data.length < target) low = quality + 1;
    else high = quality - 1;
  }
  if (!best) throw new Error('could not encode the benchmark image');
  return best;
};

interface Figures {
  readonly mode: string;
  readonly requestsPerSecond: number;
  readonly accepted: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly p50: number;
  readonly p97_5: number;
  readonly p99: number;
  readonly max: number;
  readonly seconds: number;
  /** CPU the gateway process used per upload (its main thread and libuv pool), in ms. */
  readonly gatewayCpuMsPerUpload?: { user: number; system: number };
  /** CPU the load generator used per upload, in ms: it shares the machine. */
  readonly loadGeneratorCpuMsPerUpload: number;
  /** Fraction of all cores busy during the run (every process, other users' included). */
  readonly machineBusy?: number;
}

/** What one load run measured, whichever generator ran it. */
interface LoadResult {
  readonly total: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly latency: { p50: number; p97_5: number; p99: number; max: number };
}

/** Closed loop through autocannon: every connection sends its next upload as soon as it is answered. */
const closedLoop = async (
  url: string,
  body: Buffer,
  contentType: string,
  connections: number,
  duration: number,
): Promise<LoadResult> => {
  const result = await autocannon({
    url: `${url}/api/jobs`,
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    connections,
    duration,
    timeout: 10,
  });
  return {
    total: result.requests.total,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    seconds: result.duration,
    latency: {
      p50: result.latency.p50,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
    },
  };
};

const percentile = (sorted: readonly number[], p: number): number =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0) * 10) / 10;

/**
 * Open loop: uploads start on a fixed schedule (`rate` per second, evenly spaced) over at most
 * `connections` keep-alive sockets, whatever the answers' speed. Latency is measured from each upload's
 * scheduled start, so a server that falls behind is charged for the wait (no coordinated omission).
 * autocannon's own rate option sends each second's quota in a burst, which is why it is not used here.
 */
const openLoop = async (
  url: string,
  body: Buffer,
  contentType: string,
  connections: number,
  duration: number,
  rate: number,
): Promise<LoadResult> => {
  const target = new URL(`${url}/api/jobs`);
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const request = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': contentType, 'content-length': body.length },
          timeout: 10_000,
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            latencies.push(performance.now() - due);
            if ((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300) ok += 1;
            else non2xx += 1;
            resolve();
          });
        },
      );
      request.on('timeout', () => {
        timeouts += 1;
        request.destroy();
      });
      request.on('error', () => {
        errors += 1;
        resolve();
      });
      request.end(body);
    });
  const count = Math.round(rate * duration);
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(send(due));
  }
  await Promise.all(pending);
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    total: count,
    ok,
    non2xx,
    errors,
    timeouts,
    seconds,
    latency: {
      p50: percentile(latencies, 50),
      p97_5: percentile(latencies, 97.5),
      p99: percentile(latencies, 99),
      max: Math.round((latencies.at(-1) ?? 0) * 10) / 10,
    },
  };
};

/** CPU seconds (user, system) a process has used, from /proc (Linux); undefined elsewhere. */
const cpuOf = (pid: number | undefined): { user: number; system: number } | undefined => {
  if (!pid) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 };
  } catch {
    return undefined;
  }
};

/** The machine's busy fraction over an interval, from /proc/stat (all cores, all processes). */
const machineTicks = (): { busy: number; total: number } | undefined => {
  try {
    const values = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    const total = values.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
};

const run = async (mode: 'gateway-only' | 'with-workers', upload: { body: Buffer; contentType: string }) => {
  const server = await startStack({ env: { WORKER_PROCESSES: values.workers, WORKER_CONCURRENCY: '1' } });
  try {
    if (mode === 'gateway-only') signal(server.workerPids, 'SIGSTOP');
    const connections = Number(values.connections);
    say(`${mode}: warming up for ${values.warmup} s`);
    await closedLoop(server.url, upload.body, upload.contentType, connections, Number(values.warmup));
    const rate = Number(values.rate);
    say(`${mode}: ${connections} connections for ${values.duration} s${rate ? `, offering ${rate} uploads/s` : ''}`);
    const gateway0 = cpuOf(server.child.pid);
    const bench0 = process.cpuUsage();
    const machine0 = machineTicks();
    const duration = Number(values.duration);
    const result = rate
      ? await openLoop(server.url, upload.body, upload.contentType, connections, duration, rate)
      : await closedLoop(server.url, upload.body, upload.contentType, connections, duration);
    const gateway1 = cpuOf(server.child.pid);
    const bench1 = process.cpuUsage(bench0);
    const machine1 = machineTicks();
    const accepted = result.ok;
    const perUpload = (seconds: number) => Math.round((seconds * 1000 * 100) / Math.max(1, result.total)) / 100;
    const figures: Figures = {
      mode,
      requestsPerSecond: Math.round((accepted / result.seconds) * 10) / 10,
      accepted,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      p50: result.latency.p50,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
      seconds: Math.round(result.seconds * 10) / 10,
      gatewayCpuMsPerUpload:
        gateway0 && gateway1
          ? {
              user: perUpload(gateway1.user - gateway0.user),
              system: perUpload(gateway1.system - gateway0.system),
            }
          : undefined,
      loadGeneratorCpuMsPerUpload: perUpload((bench1.user + bench1.system) / 1e6),
      machineBusy:
        machine0 && machine1
          ? Math.round(((machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total)) * 100) / 100
          : undefined,
    };
    return figures;
  } finally {
    await server.stop();
  }
};

const main = async () => {
  const file = sampleImage();
  const image = await jpegNear(file, Number(values.bytes));
  say(`image: ${file} resized to 1200x900, JPEG quality ${image.quality}, ${image.data.length} bytes`);
  const { body, type } = multipart({ variants: values.variants, tags: 'bench' }, [
    { filename: 'bench.jpg', type: 'image/jpeg', data: image.data },
  ]);
  const upload = { body, contentType: type };
  const modes =
    values.mode === 'both'
      ? (['gateway-only', 'with-workers'] as const)
      : [values.mode as 'gateway-only' | 'with-workers'];
  const results: Figures[] = [];
  for (const mode of modes) results.push(await run(mode, upload));
  const table = results.map(
    (r) =>
      `${r.mode.padEnd(13)} ${String(r.requestsPerSecond).padStart(8)} uploads/s  p50 ${r.p50} ms  p97.5 ${r.p97_5} ms  p99 ${r.p99} ms  max ${r.max} ms  ` +
      `accepted ${r.accepted}  non-2xx ${r.non2xx}  errors ${r.errors}  timeouts ${r.timeouts}  (${r.seconds} s)\n` +
      `${''.padEnd(14)}CPU per upload: gateway ${r.gatewayCpuMsPerUpload?.user ?? '?'} ms user + ${r.gatewayCpuMsPerUpload?.system ?? '?'} ms system, ` +
      `load generator ${r.loadGeneratorCpuMsPerUpload} ms; machine ${Math.round((r.machineBusy ?? 0) * 100)}% busy`,
  );
  process.stdout.write(
    [
      `uploads of a ${image.data.length}-byte JPEG (1200x900), variants=${values.variants}, ${values.connections} connections, ` +
        (Number(values.rate)
          ? `open loop at ${values.rate} uploads/s`
          : 'closed loop (each connection sends as soon as it is answered)'),
      ...table,
      `target: >= ${TARGET_RPS} accepted uploads/s with p99 < ${TARGET_P99_MS} ms`,
      ...(Number(values.rate)
        ? []
        : [
            `(closed loop, Little's law: mean latency = ${values.connections} connections / throughput, so p99 < ${TARGET_P99_MS} ms ` +
              `needs at least ${Math.ceil(Number(values.connections) / (TARGET_P99_MS / 1000))} uploads/s; use --rate ${TARGET_RPS} for the latency at ${TARGET_RPS}/s)`,
          ]),
      '',
    ].join('\n'),
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
