import type { FastifyInstance } from 'fastify';

/**
 * IDLE_TIMEOUT_SECONDS bounds how long a CLIENT may stay silent, not how long the server may work. The
 * socket's idle timer counts while the request is still arriving (a client that trickles or stalls its
 * body is cut off, #17 point 11) and again while the answer is written (a client that stops reading is cut
 * off); in between, once the whole request has arrived, the server is working on it (checking a dataset
 * zip of thousands of images, storing them) and the timer is paused, so a client that finished sending
 * always gets an answer. REQUEST_TIMEOUT_SECONDS still bounds how long the request may take to arrive.
 */
export const registerIdleTimer = (app: FastifyInstance, idleTimeoutSeconds: number): void => {
  const idleMs = idleTimeoutSeconds * 1000;
  app.addHook('onRequest', async (request) => {
    const { raw } = request;
    const socket = raw.socket;
    // app.inject's requests have no real socket.
    if (typeof socket?.setTimeout !== 'function') return;
    const working = () => {
      if (!socket.destroyed) socket.setTimeout(0);
    };
    if (raw.complete) working();
    else raw.once('end', working);
  });
  app.addHook('onSend', async (request) => {
    const socket = request.raw.socket;
    if (typeof socket?.setTimeout === 'function' && !socket.destroyed) socket.setTimeout(idleMs);
  });
};
