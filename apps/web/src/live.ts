import type { JobEventMessage, ServerMessage } from './types.js';

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 15 s, with up to 30 % jitter. */
export const backoffDelay = (attempt: number, random: () => number = Math.random): number => {
  const base = Math.min(15_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (1 - 0.3 * random()));
};

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface LiveHandlers {
  onEvent(event: JobEventMessage): void;
  onState?(state: ConnectionState): void;
  onError?(message: string, jobId?: string): void;
}

/**
 * One WebSocket to /ws carrying the subscriptions of every job on the page. It remembers the last seq seen
 * per job and, after a drop, reconnects with exponential backoff and resubscribes from there, so no event
 * is lost or applied twice.
 */
export class LiveConnection {
  private socket: WebSocket | undefined;
  private readonly lastSeq = new Map<string, number>();
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;

  constructor(
    private readonly url: () => string,
    private readonly handlers: LiveHandlers,
  ) {}

  /** Follows a job's events after `after` (0: from its start). */
  subscribe(jobId: string, after = 0): void {
    if (this.lastSeq.has(jobId)) return;
    this.lastSeq.set(jobId, after);
    if (this.socket?.readyState === WebSocket.OPEN) this.send(jobId);
    else this.connect();
  }

  /** Stops following a job (it finished, or was deleted). The server sends nothing more the page needs. */
  unsubscribe(jobId: string): void {
    this.lastSeq.delete(jobId);
    if (this.lastSeq.size === 0) this.close();
  }

  /** Drops the connection and opens a new one now (after the API key changed). */
  reconnect(): void {
    this.close();
    if (this.lastSeq.size > 0) this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.close();
  }

  private close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.close();
      this.handlers.onState?.('closed');
    }
  }

  private connect(): void {
    if (this.stopped || this.socket || this.timer) return;
    const socket = new WebSocket(this.url());
    this.socket = socket;
    this.handlers.onState?.('connecting');
    socket.onopen = () => {
      this.attempt = 0;
      this.handlers.onState?.('open');
      for (const jobId of this.lastSeq.keys()) this.send(jobId);
    };
    socket.onmessage = (message) => this.receive(message.data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.handlers.onState?.('closed');
      if (this.stopped || this.lastSeq.size === 0) return;
      const delay = backoffDelay(this.attempt++);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.connect();
      }, delay);
    };
  }

  private send(jobId: string): void {
    this.socket?.send(JSON.stringify({ type: 'subscribe', jobId, after: this.lastSeq.get(jobId) ?? 0 }));
  }

  private receive(raw: unknown): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(String(raw)) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === 'event') {
      const seen = this.lastSeq.get(message.jobId);
      if (seen === undefined || message.seq <= seen) return;
      this.lastSeq.set(message.jobId, message.seq);
      this.handlers.onEvent({ ...message.event, jobId: message.jobId, seq: message.seq });
    } else if (message.type === 'error') {
      this.handlers.onError?.(message.message ?? message.code ?? 'live updates failed', message.jobId);
    }
  }
}
