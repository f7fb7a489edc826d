import type { IncomingMessage, Server } from 'node:http';
import type { EventBus, JobEventStore } from '@delta-augment/ports';

/** Who is on the other end of a connection, as the gateway's authentication decided. */
export interface Caller {
  /** Owner id matched against `JobState.owner`. */
  readonly owner: string;
  /** Admins may subscribe to any job by id; `"*"` still means the caller's own jobs. */
  readonly admin: boolean;
}

/** Tunable limits of one notifier; every field has a default (see {@link DEFAULT_LIMITS}). */
export interface NotifierLimits {
  /** Open connections on this instance; one more is closed with 1013. */
  readonly maxConnections: number;
  /** Open connections of one owner on this instance; one more is closed with 1013. */
  readonly maxConnectionsPerOwner: number;
  /** Subscriptions of one connection (each job id counts one, `"*"` counts one). */
  readonly maxSubscriptions: number;
  /** Bytes queued for a connection beyond which it is closed with 1013 as a slow consumer. */
  readonly maxBufferedBytes: number;
  /** Interval between pings; a connection that has not answered the previous ping is terminated. */
  readonly heartbeatMs: number;
  /** Largest client message answered normally; bigger ones get a MESSAGE_TOO_LARGE error. */
  readonly maxMessageBytes: number;
  /** A subscribed job that is unfinished and quiet this long is re-read from the store (lost publishes). */
  readonly quietRefreshMs: number;
  /**
   * Messages one connection may send per second, sustained (WS_MESSAGES_PER_SECOND); bursts of twice that, and
   * at least twice maxSubscriptions (a page subscribing to all its jobs at once). Messages past it are dropped
   * with a RATE_LIMITED error; a client that goes on flooding is closed with 1008.
   */
  readonly maxMessagesPerSecond: number;
}

export const DEFAULT_LIMITS: NotifierLimits = {
  maxConnections: 10_000,
  maxConnectionsPerOwner: 100,
  maxSubscriptions: 100,
  maxBufferedBytes: 1024 * 1024,
  heartbeatMs: 30_000,
  maxMessageBytes: 4096,
  quietRefreshMs: 15_000,
  maxMessagesPerSecond: 50,
};

/** What {@link createNotifier} needs: the gateway's HTTP server, the two ports and an authenticator. */
export interface NotifierOptions {
  /** The notifier listens to this server's `upgrade` event and only takes requests for {@link path}. */
  readonly server: Server;
  /** URL path of the WebSocket endpoint, default `/ws`. */
  readonly path?: string;
  /** Source of history (catch-up and gap filling) and of job owners. */
  readonly events: JobEventStore;
  /** Source of live events. */
  readonly bus: EventBus;
  /**
   * Authenticates the upgrade request (Authorization: Bearer header or `?token=` query param, since
   * browsers cannot set headers); undefined → rejected with HTTP 401 before upgrading.
   */
  readonly authenticate: (request: IncomingMessage) => Caller | undefined;
  readonly limits?: Partial<NotifierLimits>;
  /** Unexpected errors while dispatching live events (never thrown into the bus); default console.error. */
  readonly onError?: (error: unknown) => void;
}

/** A running notifier. */
export interface Notifier {
  /** Stops taking connections, closes every client with 1001 and detaches from the bus and the server. */
  close(): Promise<void>;
  /** Open connections and their subscriptions (job ids plus `"*"`), on this instance. */
  stats(): { connections: number; subscriptions: number };
}

export const resolveLimits = (limits: Partial<NotifierLimits> = {}): NotifierLimits => {
  const resolved: { -readonly [K in keyof NotifierLimits]: number } = { ...DEFAULT_LIMITS };
  for (const [name, value] of Object.entries(limits) as [keyof NotifierLimits, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`notifier limit ${name} must be a positive integer`);
    }
    resolved[name] = value;
  }
  return resolved;
};
