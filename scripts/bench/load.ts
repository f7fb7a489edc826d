/**
 * Gateway load benchmark: `node --import tsx scripts/bench/load.ts` (options: --connections N
 * --duration S --variants N --image FILE --bytes N --mode gateway-only|with-workers|both --quiet).
 *
 * Starts the real server (`npm start`'s entry) as a child process on a free port with a temporary
 * DATA_DIR and a rate limit high enough not to interfere, builds a ~200 KB JPEG (one of the shared
 * sample images resized to 1200x900, its quality searched so that the file lands near --bytes), and
 * sends multipart uploads of it with `variants=20` through autocannon from 64 connections for 10 s.
 *
 * Two modes, because on a 2-core machine the augmenter workers compete with the gateway for CPU:
 * - `gateway-only`: the worker process is paused (SIGSTOP) for the run, so every core serves uploads;
 *   the uploads are accepted and queued, exactly as when workers run on other machines (Lambda).
 * - `with-workers`: the worker pool runs (WORKER_CONCURRENCY, default 1 here) and renders variants
 *   while the uploads come in.
 *
 * Prints accepted uploads per second, p50/p97.5/p99 latency and the non-2xx count, against the target
 * of 500 accepted uploads/s with p99 under 47 ms.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import sharp from 'sharp';

const TARGET_RPS = 500;
const TARGET_P99_MS = 47;
const REPO = resolve(import.meta.dirname, '..', '..');

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

const freePort = (): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });

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

const multipart = (image: Buffer, fields: Record<string, string>) => {
  const boundary = '----deltaBenchBoundary7MA4YWxkTrZu0gW';
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="bench.jpg"\r\ncontent-type: image/jpeg\r\n\r\n`,
    ),
    image,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
};

interface Server {
  readonly url: string;
  readonly child: ChildProcess;
  readonly workerPid: number;
  stop(): Promise<void>;
}

const startServer = async (dataDir: string, workers: number): Promise<Server> => {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/gateway/src/main.ts'], {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      RATE_LIMIT_PER_MINUTE: '10000000',
      WORKER_CONCURRENCY: String(workers),
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  let workerPid = 0;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
    const up = /"msg":"Delta Augment is up"[^\n]*"workerPid":(\d+)/.exec(output);
    if (up) {
      workerPid = Number(up[1]);
      break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    child,
    workerPid,
    stop: async () => {
      try {
        process.kill(workerPid, 'SIGCONT');
      } catch {
        // the worker is gone already
      }
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
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
}

const fire = (url: string, body: Buffer, contentType: string, connections: number, duration: number, rate = 0) =>
  autocannon({
    url: `${url}/api/jobs`,
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    connections,
    duration,
    timeout: 10,
    ...(rate > 0 ? { overallRate: rate } : {}),
  });

const run = async (mode: 'gateway-only' | 'with-workers', upload: { body: Buffer; contentType: string }) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'delta-bench-'));
  const server = await startServer(dataDir, Number(values.workers));
  try {
    if (mode === 'gateway-only') process.kill(server.workerPid, 'SIGSTOP');
    const connections = Number(values.connections);
    say(`${mode}: warming up for ${values.warmup} s`);
    await fire(server.url, upload.body, upload.contentType, connections, Number(values.warmup));
    const rate = Number(values.rate);
    say(`${mode}: ${connections} connections for ${values.duration} s${rate ? `, offering ${rate} uploads/s` : ''}`);
    const result = await fire(server.url, upload.body, upload.contentType, connections, Number(values.duration), rate);
    const accepted = result['2xx'];
    const figures: Figures = {
      mode,
      requestsPerSecond: Math.round((accepted / result.duration) * 10) / 10,
      accepted,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      p50: result.latency.p50,
      p97_5: result.latency.p97_5,
      p99: result.latency.p99,
      max: result.latency.max,
      seconds: Math.round(result.duration * 10) / 10,
    };
    return figures;
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};

const main = async () => {
  const file = sampleImage();
  const image = await jpegNear(file, Number(values.bytes));
  say(`image: ${file} resized to 1200x900, JPEG quality ${image.quality}, ${image.data.length} bytes`);
  const upload = multipart(image.data, { variants: values.variants, tags: 'bench' });
  const modes =
    values.mode === 'both'
      ? (['gateway-only', 'with-workers'] as const)
      : [values.mode as 'gateway-only' | 'with-workers'];
  const results: Figures[] = [];
  for (const mode of modes) results.push(await run(mode, upload));
  const table = results.map(
    (r) =>
      `${r.mode.padEnd(13)} ${String(r.requestsPerSecond).padStart(8)} uploads/s  p50 ${r.p50} ms  p97.5 ${r.p97_5} ms  p99 ${r.p99} ms  max ${r.max} ms  ` +
      `accepted ${r.accepted}  non-2xx ${r.non2xx}  errors ${r.errors}  timeouts ${r.timeouts}  (${r.seconds} s)`,
  );
  process.stdout.write(
    [
      `uploads of a ${image.data.length}-byte JPEG (1200x900), variants=${values.variants}, ${values.connections} connections, ` +
        (Number(values.rate)
          ? `open loop at ${values.rate} uploads/s`
          : 'closed loop (each connection sends as soon as it is answered)'),
      ...table,
      `target: >= ${TARGET_RPS} accepted uploads/s with p99 < ${TARGET_P99_MS} ms`,
      '',
    ].join('\n'),
  );
  process.stdout.write(`${JSON.stringify(results)}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
