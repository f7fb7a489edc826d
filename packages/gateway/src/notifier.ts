import type { IncomingMessage, Server } from 'node:http';
import { createNotifier } from '@delta-augment/notifier';
import type { Config, Ports } from '@delta-augment/ports';
import { createAuthenticator, isOpenMode } from './auth.js';

/** A browser page from another origin: only the page this gateway serves may use the keyless local mode. */
const isCrossOrigin = (request: IncomingMessage): boolean => {
  const origin = request.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
};

/** Attaches the WebSocket notifier at /ws, authenticated like the API. */
export const attachNotifier = (
  server: Server,
  config: Config,
  ports: Ports,
  log?: (m: string, f?: Record<string, unknown>) => void,
) => {
  const authenticate = createAuthenticator(config);
  const open = isOpenMode(config);
  return createNotifier({
    server,
    path: '/ws',
    events: ports.events,
    bus: ports.bus,
    authenticate: (request) =>
      open && isCrossOrigin(request) ? undefined : authenticate(request.headers, request.url),
    onError: (error) => log?.('notifier error', { reason: error instanceof Error ? error.message : String(error) }),
  });
};
