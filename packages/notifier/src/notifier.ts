import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { CloseCode, Connection } from './connection.js';
import { ProtocolError } from './errors.js';
import { FanOut } from './fan-out.js';
import { MessageBudget } from './message-budget.js';
import type { Caller, Notifier, NotifierOptions } from './options.js';
import { resolveLimits } from './options.js';
import { OwnerCache } from './owner-cache.js';
import { ALL_JOBS, type ClientMessage, parseClientMessage } from './protocol.js';
import { pathnameOf, rejectUpgrade } from './upgrade.js';

/** How long clients get to answer the shutdown close frame before their sockets are destroyed. */
const SHUTDOWN_GRACE_MS = 1000;
/** Frames above this are refused by `ws` itself (close 1009); between maxMessageBytes and this, with an error message. */
const HARD_MAX_PAYLOAD = 64 * 1024;

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Serves live job events over WebSocket on `options.path` of the given HTTP server.
 *
 * A client subscribes to jobs by id (history after `after`, then live events, in `seq` order, each
 * once) or to `"*"` (live events of all its jobs). Live events come from the bus, history and gap
 * filling from the event store; see the package README for the protocol.
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const limits = resolveLimits(options.limits);
  const path = options.path ?? '/ws';
  const owners = new OwnerCache(options.events);
  const fanOut = new FanOut(owners, (jobId, afterSeq) => options.events.read(jobId, afterSeq));
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: Math.max(HARD_MAX_PAYLOAD, limits.maxMessageBytes),
  });
  /** Connections that are open and counted against the limits. */
  const connections = new Set<Connection>();
  /** Every socket until it is fully closed, including those in their closing handshake. */
  const sockets = new Set<WebSocket>();
  const perOwner = new Map<string, number>();
  let shuttingDown: Promise<void> | undefined;

  const release = (connection: Connection): void => {
    if (!connections.delete(connection)) return;
    const owner = connection.caller.owner;
    const remaining = (perOwner.get(owner) ?? 1) - 1;
    if (remaining > 0) perOwner.set(owner, remaining);
    else perOwner.delete(owner);
    fanOut.release(connection);
  };

  const subscribe = async (connection: Connection, jobId: string, after: number): Promise<void> => {
    const alreadySubscribed = jobId === ALL_JOBS ? connection.wildcard : connection.streams.get(jobId)?.explicit;
    if (!alreadySubscribed && connection.subscriptionCount >= limits.maxSubscriptions) {
      throw new ProtocolError(
        'TOO_MANY_SUBSCRIPTIONS',
        `a connection may hold ${limits.maxSubscriptions} subscriptions; unsubscribe first`,
        jobId,
      );
    }
    if (jobId === ALL_JOBS) {
      fanOut.setWildcard(connection, true);
      connection.sendMessage({ type: 'subscribed', jobId, after: null });
      return;
    }
    let owner: string | undefined;
    try {
      owner = await owners.load(jobId);
    } catch (error) {
      throw new ProtocolError('UNAVAILABLE', `job ${jobId} could not be loaded (${messageOf(error)})`, jobId, {
        cause: error,
      });
    }
    if (connection.closed) return;
    if (owner === undefined || (owner !== connection.caller.owner && !connection.caller.admin)) {
      throw new ProtocolError('NOT_FOUND', `job ${jobId} was not found`, jobId);
    }
    connection.sendMessage({ type: 'subscribed', jobId, after });
    fanOut.open(connection, jobId, after, true, true);
  };

  const handle = async (connection: Connection, message: ClientMessage): Promise<void> => {
    if (message.type === 'subscribe') return subscribe(connection, message.jobId, message.after);
    if (message.jobId === ALL_JOBS) fanOut.setWildcard(connection, false);
    else fanOut.closeStream(connection, message.jobId);
    connection.sendMessage({ type: 'unsubscribed', jobId: message.jobId });
  };

  const sendError = (connection: Connection, error: unknown): void => {
    if (error instanceof ProtocolError) {
      connection.sendMessage({
        type: 'error',
        code: error.code,
        message: error.message,
        ...(error.jobId === undefined ? {} : { jobId: error.jobId }),
      });
    } else {
      connection.sendMessage({ type: 'error', code: 'UNAVAILABLE', message: messageOf(error) });
    }
  };

  const burst = Math.max(2 * limits.maxMessagesPerSecond, 2 * limits.maxSubscriptions);
  const budgets = new WeakMap<Connection, MessageBudget>();

  /** False when the message is over the connection's budget (answered once, then the flooder is closed). */
  const withinBudget = (connection: Connection): boolean => {
    let budget = budgets.get(connection);
    if (!budget) {
      budget = new MessageBudget(limits.maxMessagesPerSecond, burst);
      budgets.set(connection, budget);
    }
    const taken = budget.take();
    if (taken.verdict === 'ok') return true;
    const rate = `${limits.maxMessagesPerSecond} messages per second (WS_MESSAGES_PER_SECOND)`;
    if (taken.verdict === 'close') connection.closeFlooder(`message flood: over ${rate}`);
    else if (taken.first) {
      connection.sendMessage({
        type: 'error',
        code: 'RATE_LIMITED',
        message: `over ${rate}: messages are dropped; keep sending and the connection is closed`,
      });
    }
    return false;
  };

  const onMessage = (connection: Connection, data: RawData, isBinary: boolean): void => {
    if (connection.closed || !withinBudget(connection)) return;
    connection.alive = true;
    let message: ClientMessage;
    try {
      message = parseClientMessage(data, isBinary, limits.maxMessageBytes);
    } catch (error) {
      sendError(connection, error);
      return;
    }
    connection.enqueue(() => handle(connection, message).catch((error: unknown) => sendError(connection, error)));
  };

  const accept = (ws: WebSocket, caller: Caller): void => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => undefined);
    const owned = perOwner.get(caller.owner) ?? 0;
    if (shuttingDown) {
      ws.close(CloseCode.goingAway, 'server shutting down');
      return;
    }
    if (connections.size >= limits.maxConnections) {
      ws.close(CloseCode.tryAgainLater, `too many connections: this server takes ${limits.maxConnections}`);
      return;
    }
    if (owned >= limits.maxConnectionsPerOwner) {
      ws.close(CloseCode.tryAgainLater, `too many connections: ${limits.maxConnectionsPerOwner} per owner`);
      return;
    }
    const connection = new Connection(ws, caller, limits.maxBufferedBytes, release);
    connections.add(connection);
    perOwner.set(caller.owner, owned + 1);
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('message', (data, isBinary) => onMessage(connection, data, isBinary));
    ws.on('close', () => connection.closedByPeer());
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (pathnameOf(request) !== path) return;
    if (shuttingDown) {
      rejectUpgrade(socket, 503, 'UNAVAILABLE', 'server shutting down');
      return;
    }
    let caller: Caller | undefined;
    try {
      caller = options.authenticate(request);
    } catch {
      rejectUpgrade(socket, 500, 'INTERNAL', 'authentication failed');
      return;
    }
    if (!caller) {
      rejectUpgrade(socket, 401, 'UNAUTHORIZED', 'a valid key is required (Authorization: Bearer or ?token=)');
      return;
    }
    const accepted = caller;
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, accepted));
  };

  const heartbeat = setInterval(() => {
    for (const connection of connections) {
      if (!connection.alive) {
        connection.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }, limits.heartbeatMs);
  heartbeat.unref();
  const refresh = setInterval(
    () => {
      const now = Date.now();
      for (const connection of connections) {
        for (const stream of connection.streams.values())
          if (stream.explicit) stream.refreshIfQuiet(limits.quietRefreshMs, now);
      }
    },
    Math.max(10, Math.floor(limits.quietRefreshMs / 2)),
  );
  refresh.unref();

  const onError = options.onError ?? ((error: unknown) => console.error('notifier: dispatch failed', error));
  const unsubscribeBus = options.bus.subscribe((event) => {
    try {
      fanOut.dispatch(event);
    } catch (error) {
      onError(error);
    }
  });
  options.server.on('upgrade', onUpgrade);

  const shutDown = async (): Promise<void> => {
    options.server.off('upgrade', onUpgrade);
    clearInterval(heartbeat);
    clearInterval(refresh);
    unsubscribeBus();
    const closed = [...sockets].map((ws) => new Promise<void>((resolve) => ws.once('close', () => resolve())));
    for (const connection of [...connections]) connection.close(CloseCode.goingAway, 'server shutting down');
    const grace = setTimeout(() => {
      for (const ws of sockets) ws.terminate();
    }, SHUTDOWN_GRACE_MS);
    await Promise.all(closed);
    clearTimeout(grace);
    wss.close();
  };

  return {
    close: () => {
      shuttingDown ??= shutDown();
      return shuttingDown;
    },
    stats: () => {
      let subscriptions = 0;
      for (const connection of connections) subscriptions += connection.subscriptionCount;
      return { connections: connections.size, subscriptions };
    },
  };
}
