import type { IncomingMessage, Server } from 'node:http';
import { createNotifier } from '@delta-augment/notifier';
import type { Config, Ports } from '@delta-augment/ports';
import { createAuthenticator, isOpenMode } from './auth.js';
import { allowedHostnames, checkLocalOnly } from './guards/index.js';

/** Attaches the WebSocket notifier at /ws, authenticated like the API. */
export const attachNotifier = (
  server: Server,
  config: Config,
  ports: Ports,
  log?: (m: string, f?: Record<string, unknown>) => void,
) => {
  const authenticate = createAuthenticator(config);
  const open = isOpenMode(config);
  const allowed = allowedHostnames(config);
  // Open mode: only the page this server serves, reached by a local name (not a DNS-rebinding page), may subscribe.
  const isForeign = (request: IncomingMessage): boolean =>
    !checkLocalOnly(allowed, 'GET', request.headers, { upgrade: true }).ok;
  return createNotifier({
    server,
    path: '/ws',
    events: ports.events,
    bus: ports.bus,
    authenticate: (request) => (open && isForeign(request) ? undefined : authenticate(request.headers, request.url)),
    limits: { maxMessagesPerSecond: config.budgets.wsMessagesPerSecond },
    onError: (error) => log?.('notifier error', { reason: error instanceof Error ? error.message : String(error) }),
  });
};
