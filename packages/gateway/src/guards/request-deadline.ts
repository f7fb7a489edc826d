import type { Budgets } from '@delta-augment/ports';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../errors.js';

type DeadlineBudgets = Pick<Budgets, 'requestTimeoutSeconds' | 'minUploadBytesPerSecond'>;

/**
 * Seconds a request may take to arrive once its headers are in: REQUEST_TIMEOUT_SECONDS, and for a paced
 * route (a signed-URL upload) one second more per MIN_UPLOAD_BYTES_PER_SECOND bytes received so far. An
 * upload that keeps at least that average rate after the first REQUEST_TIMEOUT_SECONDS is never cut off, and
 * its budget is at most REQUEST_TIMEOUT_SECONDS + its declared size / the rate (more bytes than declared are
 * refused); one that trickles below it is cut off once it falls behind.
 */
export const allowedSeconds = (budgets: DeadlineBudgets, received?: number): number =>
  budgets.requestTimeoutSeconds + (received === undefined ? 0 : received / budgets.minUploadBytesPerSecond);

/**
 * The longest any request may take to arrive (the largest signed upload at the slowest rate allowed): the Node
 * server's own request timeout, a backstop behind the per-request deadlines of {@link registerRequestDeadline}.
 */
export const longestRequestSeconds = (budgets: DeadlineBudgets, largestUploadBytes: number): number =>
  Math.ceil(allowedSeconds(budgets, largestUploadBytes));

const deadlines = new WeakMap<FastifyRequest['raw'], AbortSignal>();

/**
 * Aborted when the request has been answered 408 for arriving too slowly: a route that streams the body into
 * storage drops what still arrives and fails the write, so nothing is stored behind a 408.
 */
export const requestDeadlineSignal = (request: FastifyRequest): AbortSignal | undefined => deadlines.get(request.raw);

const timeoutBody = (budgets: DeadlineBudgets, paced: boolean, received: number, seconds: number): ErrorBody => ({
  error: {
    code: 'REQUEST_TIMEOUT',
    message: paced
      ? `the upload arrived too slowly: ${received} bytes in ${Math.round(seconds)} s; an upload has REQUEST_TIMEOUT_SECONDS (${budgets.requestTimeoutSeconds}) plus one second per MIN_UPLOAD_BYTES_PER_SECOND (${budgets.minUploadBytesPerSecond}) bytes received`
      : `the request did not arrive within REQUEST_TIMEOUT_SECONDS (${budgets.requestTimeoutSeconds})`,
    field: 'body',
  },
});

/** How often the deadlines are checked (Node checks its own request timeout every second here too). */
const CHECK_MS = 1000;

/**
 * Per-request deadlines (slowloris protection that still lets a large upload over a normal link finish):
 * every request's body must arrive within {@link allowedSeconds} of its headers, checked every second; a
 * request that has not is answered `408 REQUEST_TIMEOUT` naming the limit, its connection closed. Routes with
 * `config.paced` (the signed-URL PUT) get the rate-based budget. IDLE_TIMEOUT_SECONDS still cuts off a client
 * that goes silent, and Node's own request timeout stays as a backstop at {@link longestRequestSeconds}.
 */
export const registerRequestDeadline = (app: FastifyInstance, budgets: DeadlineBudgets): void => {
  app.addHook('onRequest', async (request, reply) => {
    const { raw } = request;
    const socket = raw.socket;
    // app.inject's requests have no real socket; a request without a body has fully arrived already.
    if (typeof socket?.setTimeout !== 'function' || raw.complete) return;
    const paced = request.routeOptions.config?.paced === true;
    const started = Date.now();
    const before = socket.bytesRead;
    const abort = new AbortController();
    deadlines.set(raw, abort.signal);
    const timer = setInterval(() => {
      if (raw.complete || socket.destroyed) {
        clearInterval(timer);
        return;
      }
      const received = socket.bytesRead - before;
      const seconds = (Date.now() - started) / 1000;
      if (seconds <= allowedSeconds(budgets, paced ? received : undefined)) return;
      clearInterval(timer);
      const body = timeoutBody(budgets, paced, received, seconds);
      const reason = new Error(body.error.message);
      abort.abort(reason);
      // Once answered, the request is ended for whoever reads it (Node detaches an unfinished request from its
      // socket when the answer is done, and it would otherwise wait for more bytes forever).
      reply.raw.once('close', () => raw.destroy(reason));
      if (!reply.raw.headersSent) {
        reply.hijack();
        const json = JSON.stringify(body);
        reply.raw.writeHead(408, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(json),
          connection: 'close',
        });
        reply.raw.end(json);
      } else socket.destroy();
    }, CHECK_MS);
    timer.unref();
    reply.raw.once('close', () => clearInterval(timer));
  });
};
