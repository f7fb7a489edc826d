import type { Server } from 'node:http';
import { createNotifier } from '@delta-augment/notifier';
import type { Config, Ports } from '@delta-augment/shared';
import { createAuthenticator } from './auth.js';

/** Attaches the WebSocket notifier at /ws, authenticated like the API. */
export const attachNotifier = (server: Server, config: Config, ports: Ports) => {
  const authenticate = createAuthenticator(config);
  return createNotifier({
    server,
    path: '/ws',
    events: ports.events,
    bus: ports.bus,
    authenticate: (request) => authenticate(request.headers, request.url),
  });
};
