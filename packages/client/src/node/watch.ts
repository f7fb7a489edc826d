import WebSocket from 'ws';
import { type DeltaApi, ok } from '../client.js';
import type { JobView } from '../types.js';

export interface WatchOptions {
  readonly api: DeltaApi;
  readonly url: string;
  readonly key?: string;
  readonly jobId: string;
  readonly signal?: AbortSignal;
  /** Called with the job each time its progress is read (throttled). */
  readonly onJob?: (job: JobView) => void;
  /** Re-read the job at least this often, whatever the WebSocket says (ms). */
  readonly pollMs?: number;
}

const TERMINAL = new Set(['completed', 'failed']);

/**
 * Follows a job until it completes or fails: the WebSocket's events (`subscribe` from seq 0) trigger a
 * re-read of the job's progress, at most every 250 ms; a poll every `pollMs` covers a WebSocket that
 * cannot connect or drops. Resolves with the final job.
 */
export const watchJob = (options: WatchOptions): Promise<JobView> =>
  new Promise((resolve, reject) => {
    const { api, jobId } = options;
    let finished = false;
    let reading = false;
    let again = false;
    let socket: WebSocket | undefined;
    let lastRead = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: unknown, job?: JobView) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearInterval(poll);
      socket?.terminate();
      options.signal?.removeEventListener('abort', onAbort);
      if (job) resolve(job);
      else reject(error);
    };
    const read = async () => {
      if (finished) return;
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      lastRead = Date.now();
      try {
        const job = await ok(api.GET('/api/jobs/{id}', { params: { path: { id: jobId } } }));
        options.onJob?.(job);
        if (TERMINAL.has(job.status ?? '')) finish(undefined, job);
      } catch (error) {
        finish(error);
      } finally {
        reading = false;
        if (again && !finished) {
          again = false;
          schedule();
        }
      }
    };
    const schedule = () => {
      if (timer || finished) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          void read();
        },
        Math.max(0, 250 - (Date.now() - lastRead)),
      );
    };
    const onAbort = () => finish(options.signal?.reason ?? new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const poll = setInterval(() => void read(), options.pollMs ?? 3000);
    const wsUrl = new URL('/ws', options.url.replace(/^http/, 'ws'));
    if (options.key) wsUrl.searchParams.set('token', options.key);
    socket = new WebSocket(wsUrl);
    socket.on('open', () => socket?.send(JSON.stringify({ type: 'subscribe', jobId, after: 0 })));
    socket.on('message', () => schedule());
    socket.on('error', () => undefined); // the poll carries on
    void read();
  });
