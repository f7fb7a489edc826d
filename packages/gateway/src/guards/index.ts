import type { Config } from '@delta-augment/ports';
import type { FastifyInstance } from 'fastify';
import { isOpenMode } from '../auth.js';
import { RequestError, unsupported } from '../errors.js';
import { registerIdleTimer } from './idle-timer.js';
import { allowedHostnames, checkLocalOnly } from './local-only.js';
import { registerRequestDeadline } from './request-deadline.js';
import { isRefusedSimpleType, mediaTypeOf } from './simple-content-types.js';
import { UploadSlots } from './upload-slots.js';

export { allowedHostnames, checkLocalOnly, hostnameOf } from './local-only.js';
export { longestRequestSeconds, requestDeadlineSignal } from './request-deadline.js';
export { UploadSlots } from './upload-slots.js';

/** Routes that read a multipart form (the only POSTs that may carry a CORS-safelisted content type). */
const MULTIPART_ROUTES = new Set(['POST /api/jobs', 'POST /api/preview']);

/**
 * Cross-cutting request guards, registered once on the root scope before any route:
 * - open mode answers only local host names, and refuses state changes from other origins' pages;
 * - POSTs with a content type a browser sends without a preflight are refused (except multipart uploads);
 * - multipart uploads take a slot (MAX_CONCURRENT_UPLOADS, ..._PER_CALLER) for as long as they run;
 * - a response to a request that carried `?token=` is never stored by a cache;
 * - the idle timer pauses while the server works on a request that has fully arrived (see `registerIdleTimer`);
 * - every request's body must arrive within REQUEST_TIMEOUT_SECONDS, a signed upload's within a budget that
 *   grows with its bytes (MIN_UPLOAD_BYTES_PER_SECOND; see `registerRequestDeadline`).
 */
export const registerGuards = (app: FastifyInstance, config: Config): UploadSlots => {
  const { budgets } = config;
  const slots = new UploadSlots(budgets.maxConcurrentUploads, budgets.maxConcurrentUploadsPerCaller);
  registerIdleTimer(app, budgets.idleTimeoutSeconds);
  registerRequestDeadline(app, budgets);
  if (isOpenMode(config)) {
    const allowed = allowedHostnames(config);
    app.addHook('onRequest', async (request) => {
      const verdict = checkLocalOnly(allowed, request.method, request.headers);
      if (!verdict.ok)
        throw new RequestError(verdict.code, verdict.message, 403, verdict.code === 'CROSS_ORIGIN' ? 'origin' : 'host');
    });
  }
  app.addHook('onRequest', async (request) => {
    if (request.method !== 'POST') return;
    const route = `POST ${request.routeOptions.url ?? ''}`;
    if (isRefusedSimpleType(request.headers['content-type'], MULTIPART_ROUTES.has(route))) {
      throw unsupported(
        'content-type',
        `${mediaTypeOf(request.headers['content-type'])} is not accepted here; send application/json${MULTIPART_ROUTES.has(route) ? ' or multipart/form-data' : ''}`,
      );
    }
  });
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || !MULTIPART_ROUTES.has(`POST ${request.routeOptions.url}`)) return;
    if (mediaTypeOf(request.headers['content-type']) !== 'multipart/form-data') return;
    const release = slots.acquire(request.caller?.owner ?? `ip:${request.ip}`);
    reply.raw.once('close', release);
  });
  app.addHook('onSend', async (request, reply) => {
    if (request.url.includes('token=')) reply.header('cache-control', 'no-store');
  });
  return slots;
};
