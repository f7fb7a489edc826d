/**
 * The real thing for uploaded dataset zips (issue 12 point 5): a class-folder zip of `--bytes` on disk goes
 * to a fresh local stack (`npm start`'s entry, one augmenter worker process) the way a client sends it:
 * `POST /api/jobs { dataset: { name, bytes } }`, then one HTTP `PUT` of the file to the signed URL, streamed
 * from disk (optionally paced to `--rate` bytes a second, like a user's link). The worker reads the zip from
 * storage (the whole of it: every image is checked), records the sources, stores each image and renders its
 * variants; the archive is written. Prints the upload time, the peak RSS of the gateway process and of the
 * worker process in each phase (sampled every 100 ms from /proc), and the job's end state.
 */
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { writeDatasetZip } from './dataset-zip-file.js';
import { peakRssMb, startStack } from './local-stack.js';

export interface StackRunOptions {
  readonly totalBytes: number;
  readonly images: number;
  readonly variants: number;
  /** Bytes a second the PUT is paced to (0: as fast as loopback goes). */
  readonly rate: number;
  /** Environment for the stack (e.g. REQUEST_TIMEOUT_SECONDS, to show a limit). */
  readonly env: Readonly<Record<string, string>>;
  readonly preset: string;
  /** The last phase run: `upload` (the PUT only), `read` (until the sources are recorded) or `end` (the job ends). */
  readonly until: 'upload' | 'read' | 'end';
  /** A zip to use (written there first, and kept, if it does not exist), instead of a temporary one. */
  readonly zipPath?: string;
}

const rssMbOf = (pid: number | undefined): number => {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
};

type Phase = 'idle' | 'upload' | 'read' | 'render';

/** Peak RSS per phase of a set of processes, sampled every 100 ms. */
const rssSampler = (pids: Record<string, number | undefined>) => {
  let phase: Phase = 'idle';
  const peaks: Record<string, Partial<Record<Phase, number>>> = {};
  const timer = setInterval(() => {
    for (const [name, pid] of Object.entries(pids)) {
      const of = peaks[name] ?? {};
      peaks[name] = of;
      of[phase] = Math.max(of[phase] ?? 0, rssMbOf(pid));
    }
  }, 100);
  return {
    enter: (next: Phase) => {
      phase = next;
    },
    stop: () => {
      clearInterval(timer);
      return peaks;
    },
  };
};

/** Passes bytes through at about `rate` bytes a second. */
const paced = (rate: number) => {
  const started = Date.now();
  let sent = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      const due = started + (sent / rate) * 1000;
      setTimeout(() => callback(null, chunk), Math.max(0, due - Date.now()));
    },
  });
};

/** PUTs the file to the signed URL; resolves with the status and body (or the error that ended it). */
const putFile = (url: string, path: string, bytes: number, rate: number) =>
  new Promise<{ status: number; body: string }>((resolve) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': String(bytes) } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    const stages = rate > 0 ? [createReadStream(path), paced(rate), req] : [createReadStream(path), req];
    pipeline(stages).catch((error: Error) => resolve({ status: 0, body: error.message }));
  });

interface JobView {
  readonly status: string;
  readonly sourceCount: number;
  readonly counts: Record<string, number>;
  readonly failure?: string;
  readonly archive?: { bytes: number; count: number };
}

const viewOf = async (url: string, id: string): Promise<JobView> =>
  (await (await fetch(`${url}/api/jobs/${id}`)).json()) as JobView;

export const runOnStack = async (options: StackRunOptions): Promise<void> => {
  const dir = mkdtempSync(join(tmpdir(), 'delta-bench-dataset-2g-'));
  try {
    const zipStarted = performance.now();
    const path = options.zipPath ?? join(dir, 'dataset.zip');
    const zip = existsSync(path)
      ? { path, bytes: statSync(path).size, images: options.images, side: 0 }
      : await writeDatasetZip(path, { totalBytes: options.totalBytes, images: options.images });
    process.stderr.write(
      `zip: ${zip.bytes} bytes, ${zip.images} images of ${zip.side} px, written in ${((performance.now() - zipStarted) / 1000).toFixed(0)} s\n`,
    );
    const stack = await startStack({ env: options.env });
    const gateway = stack.child.pid;
    const worker = stack.workerPids[0];
    const sampler = rssSampler({ gateway, worker });
    try {
      // Prepare: the job, and its signed URL
      const created = await fetch(`${stack.url}/api/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          dataset: { name: 'dataset.zip', bytes: zip.bytes },
          variants: options.variants,
          preset: options.preset,
          seed: 1,
        }),
      });
      const job = (await created.json()) as { id: string; uploads: { url: string }[] };
      if (created.status !== 201) throw new Error(`POST /api/jobs answered ${created.status}: ${JSON.stringify(job)}`);
      const url = job.uploads[0]?.url as string;
      // Act: the upload, then the worker's read of the zip (until the sources are recorded), then the rest
      sampler.enter('upload');
      const uploadStarted = performance.now();
      const put = await putFile(url, zip.path, zip.bytes, options.rate);
      const uploadSeconds = (performance.now() - uploadStarted) / 1000;
      process.stderr.write(
        `PUT answered ${put.status} after ${uploadSeconds.toFixed(1)} s: ${put.body.slice(0, 300)}\n`,
      );
      sampler.enter('read');
      const readStarted = performance.now();
      let view = await viewOf(stack.url, job.id);
      let readSeconds: number | undefined;
      let lastLog = 0;
      const done = () =>
        view.status === 'completed' ||
        view.status === 'failed' ||
        put.status !== 200 ||
        options.until === 'upload' ||
        (options.until === 'read' && readSeconds !== undefined);
      while (!done()) {
        await new Promise((r) => setTimeout(r, 1000));
        view = await viewOf(stack.url, job.id);
        if (readSeconds === undefined && view.sourceCount > 0) {
          readSeconds = (performance.now() - readStarted) / 1000;
          sampler.enter('render');
        }
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          process.stderr.write(`${view.status} ${view.sourceCount} sources ${JSON.stringify(view.counts)}\n`);
        }
      }
      const totalSeconds = (performance.now() - readStarted) / 1000;
      const peaks = sampler.stop();
      const mb = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));
      /** A process's peak RSS in each phase, and over its whole life (VmHWM). */
      const peaksOf = (name: string, pid: number | undefined) => ({
        ...Object.fromEntries(Object.entries(peaks[name] ?? {}).map(([phase, n]) => [phase, mb(n)])),
        whole: mb(peakRssMb(pid as number)),
      });
      console.log(
        JSON.stringify(
          {
            zipBytes: zip.bytes,
            images: zip.images,
            imageSide: zip.side,
            rate: options.rate || 'unpaced (loopback)',
            put: put.status,
            uploadSeconds: Number(uploadSeconds.toFixed(1)),
            uploadMBps: Number((zip.bytes / 1e6 / uploadSeconds).toFixed(1)),
            readSeconds: readSeconds === undefined ? undefined : Number(readSeconds.toFixed(1)),
            uploadedToEndSeconds: Number(totalSeconds.toFixed(1)),
            gatewayPeakRssMb: peaksOf('gateway', gateway),
            workerPeakRssMb: peaksOf('worker', worker),
            // Worker invocations that ran out of HANDLER_TIMEOUT_SECONDS (in the last 20,000 characters logged)
            handlerTimeouts: stack.output().split(/timed out|out of time/).length - 1,
            job: {
              status: view.status,
              sources: view.sourceCount,
              counts: view.counts,
              failure: view.failure,
              archive: view.archive,
            },
          },
          null,
          1,
        ),
      );
      if (view.status === 'failed' || put.status !== 200)
        process.stderr.write(`stack output:\n${stack.output().slice(-5000)}\n`);
    } finally {
      sampler.stop();
      await stack.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
