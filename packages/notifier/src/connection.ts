import type { JobEvent } from '@delta-augment/core';
import WebSocket from 'ws';
import type { JobStream } from './job-stream.js';
import type { Caller } from './options.js';
import { encodeEvent, type ServerMessage } from './protocol.js';

/** WebSocket close codes the notifier uses. */
export const CloseCode = {
  goingAway: 1001,
  /** Policy violation: the client kept flooding past its message budget. */
  policyViolation: 1008,
  tryAgainLater: 1013,
} as const;

/** How long a closed flooder has to answer the close frame before its socket is destroyed. */
const FLOODER_GRACE_MS = 1000;

const DRAIN_POLL_MS = 10;

/** One client: its socket, its subscriptions and its liveness. */
export class Connection {
  /** Job streams by job id: explicit subscriptions and those a `"*"` subscription opened. */
  readonly streams = new Map<string, JobStream>();
  /** Subscribed to every job of its owner. */
  wildcard = false;
  /** Answered the last ping. */
  alive = true;
  private closing = false;
  private tasks: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    readonly caller: Caller,
    private readonly maxBufferedBytes: number,
    /** Called once, when the connection starts closing, to drop it from every registry. */
    private readonly release: (connection: Connection) => void,
  ) {}

  get closed(): boolean {
    return this.closing;
  }

  /** Job ids subscribed explicitly plus one for `"*"`. */
  get subscriptionCount(): number {
    let count = this.wildcard ? 1 : 0;
    for (const stream of this.streams.values()) if (stream.explicit) count++;
    return count;
  }

  /** Runs client requests one after another, in arrival order. */
  enqueue(task: () => Promise<void>): void {
    this.tasks = this.tasks.then(task).catch(() => undefined);
  }

  /** Sends an event frame; unless `paced` (sent after waiting for {@link drained}), a full send buffer closes the connection. */
  sendEvent(event: JobEvent, paced = false): void {
    this.sendFrame(encodeEvent(event), !paced);
  }

  sendMessage(message: ServerMessage): void {
    this.sendFrame(JSON.stringify(message), true);
  }

  /** True while more than half of the send buffer limit is queued. */
  get congested(): boolean {
    return this.ws.bufferedAmount > this.maxBufferedBytes / 2;
  }

  /** Resolves once the send buffer is below half its limit, or the connection is closing. */
  async drained(): Promise<void> {
    while (this.congested && !this.closing) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }

  /** Closes the connection because it does not read fast enough. */
  closeSlow(): void {
    this.close(CloseCode.tryAgainLater, `slow consumer: send buffer over ${this.maxBufferedBytes} bytes`);
  }

  /** Starts the closing handshake; the socket is destroyed if the client does not answer (ws' 30 s timeout). */
  close(code: number, reason: string): void {
    if (!this.markClosing()) return;
    this.ws.close(code, reason);
  }

  /**
   * Closes a client that floods: the close frame says why, and the socket is destroyed soon after, so that
   * frames it has still queued are not parsed for the 30 s of an ordinary closing handshake.
   */
  closeFlooder(reason: string): void {
    this.close(CloseCode.policyViolation, reason);
    setTimeout(() => this.ws.terminate(), FLOODER_GRACE_MS).unref();
  }

  /** Drops the socket without a handshake. */
  terminate(): void {
    this.markClosing();
    this.ws.terminate();
  }

  /** The socket closed by itself (client close, network error). */
  closedByPeer(): void {
    this.markClosing();
  }

  private markClosing(): boolean {
    if (this.closing) return false;
    this.closing = true;
    for (const stream of this.streams.values()) stream.stop();
    this.release(this);
    return true;
  }

  private sendFrame(frame: Buffer | string, limited: boolean): void {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(frame, { binary: false });
    if (limited && this.ws.bufferedAmount > this.maxBufferedBytes) this.closeSlow();
  }
}
