/**
 * End-to-end run of the local stack for the engine bench: starts `npm start`'s entry (pinned to one
 * core with `taskset -c 0` when taskset exists: gateway, notifier and the worker all share it), uploads
 * the photos as one job (N variants each, preset, JPEG out since the photos are JPEGs), and times it
 * from the start of the upload to the job's `completed` status (variants written and zipped).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { basename } from 'node:path';
import { multipart, peakRssMb, startStack, treeCpu, waitForJob } from './local-stack.js';

export interface StackRun {
  readonly variants: number;
  readonly seconds: number;
  /** CPU seconds of the whole process tree (gateway, notifier, worker) during the job. */
  readonly cpuSeconds: number;
  /** CPU seconds of the augmenter workers during the job (the rest of cpuSeconds is the gateway and notifier). */
  readonly workerCpuSeconds: number;
  /** Peak RSS of each augmenter worker process, MB. */
  readonly workerPeakRssMb: readonly number[];
  /** True when the stack ran pinned to core 0 with `taskset -c 0`. */
  readonly pinned: boolean;
  /** The machine's 1-minute load average at the start and at the end of the job. */
  readonly load: readonly [number, number];
}

export interface StackOptions {
  /** The checkout whose stack runs (another worktree measures a baseline in the same run). */
  readonly repo: string;
  readonly photos: readonly string[];
  readonly variants: number;
  readonly preset: string;
  readonly repeat: number;
  readonly pin: boolean;
  /** Write a V8 CPU profile of every process of the stack into this directory. */
  readonly cpuProfileDir?: string;
  /** Environment for the stack beyond the bench's defaults. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Uploads one job and waits for it to complete; returns the seconds from upload to completion. */
async function runJob(url: string, photos: readonly string[], variants: number, preset: string): Promise<number> {
  const files = photos.map((photo) => ({ filename: basename(photo), type: 'image/jpeg', data: readFileSync(photo) }));
  const { body, type } = multipart({ variants: String(variants), preset, seed: '1' }, files);
  const started = performance.now();
  const response = await fetch(`${url}/api/jobs`, {
    method: 'POST',
    body: new Uint8Array(body),
    headers: { 'content-type': type },
  });
  if (response.status !== 202) throw new Error(`upload answered ${response.status}: ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  // Waits on the WebSocket, as the web page does (polling would add its own load to the one core).
  await waitForJob(url, id);
  return (performance.now() - started) / 1000;
}

/** Starts the stack, warms it up with a small job, then runs `repeat` measured jobs. */
export async function benchStack(options: StackOptions): Promise<StackRun[]> {
  const stack = await startStack({
    repo: options.repo,
    pin: options.pin,
    ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
  try {
    await runJob(stack.url, options.photos.slice(0, 2), 3, options.preset);
    const runs: StackRun[] = [];
    for (let r = 0; r < options.repeat; r++) {
      const cpuBefore = treeCpu(stack.child.pid as number);
      const workersBefore = stack.workerPids.reduce((n, pid) => n + treeCpu(pid), 0);
      const loadBefore = loadavg()[0] ?? 0;
      const seconds = await runJob(stack.url, options.photos, options.variants, options.preset);
      runs.push({
        variants: options.photos.length * options.variants,
        seconds,
        cpuSeconds: treeCpu(stack.child.pid as number) - cpuBefore,
        workerCpuSeconds: stack.workerPids.reduce((n, pid) => n + treeCpu(pid), 0) - workersBefore,
        workerPeakRssMb: stack.workerPids.map(peakRssMb),
        pinned: stack.pinned,
        load: [loadBefore, loadavg()[0] ?? 0],
      });
    }
    return runs;
  } finally {
    await stack.stop();
  }
}
