import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

/** Old-space limit of a worker process, MB (pixels live outside the V8 heap, in buffers). */
const WORKER_HEAP_MB = 192;

/**
 * Runs the augmenter pool in a child process (so image work never blocks the gateway's event loop) and
 * restarts it if it dies. The child exits by itself when this process goes away.
 */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly log: (message: string, fields?: Record<string, unknown>) => void,
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      // Two malloc arenas: libvips' threads would otherwise each keep their own, and a worker's peak
      // RSS would grow by tens of MB for no speed (an explicit MALLOC_ARENA_MAX still wins).
      const env: NodeJS.ProcessEnv = { MALLOC_ARENA_MAX: '2', ...this.env };
      // A heap limit makes V8 collect before the heap balloons: the peak RSS of a worker rendering
      // ~1 MP photos drops from ~280 to ~230 MB at no measurable CPU cost (npm run bench).
      const limited = [...process.execArgv, env.NODE_OPTIONS ?? ''].some((a) => a.includes('--max-old-space-size'));
      const execArgv = limited ? process.execArgv : [...process.execArgv, `--max-old-space-size=${WORKER_HEAP_MB}`];
      const child = fork(WORKER_ENTRY, [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      this.child = child;
      const onReady = (message: unknown) => {
        if ((message as { type?: string }).type === 'ready') {
          child.off('message', onReady);
          // A worker that stays up for a minute has recovered: the next crash restarts quickly again.
          setTimeout(() => {
            if (this.child === child) this.restarts = 0;
          }, 60_000).unref();
          resolve();
        }
      };
      child.on('message', onReady);
      child.once('exit', (code, signal) => {
        this.child = undefined;
        if (this.stopping) return;
        reject(new Error(`worker exited before it was ready (code ${code}, signal ${signal})`));
        this.restarts += 1;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(this.restarts, 6));
        this.log('augmenter worker exited; restarting', { code, signal, delayMs: delay });
        setTimeout(() => {
          if (!this.stopping)
            this.start().catch((error: Error) => this.log('worker restart failed', { reason: error.message }));
        }, delay).unref();
      });
    });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** SIGTERM: the child stops receiving and finishes its in-flight messages. */
  async stop(timeoutMs = 25_000): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
