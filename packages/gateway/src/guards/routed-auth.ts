import type { Config } from '@delta-augment/ports';
import type { FastifyRequest } from 'fastify';
import type { ErrorBody } from '../errors.js';
import { longestRequestSeconds } from './request-deadline.js';

/**
 * Routes outside `/api` that still need a key in keyed mode (the admin key, checked by `adminScope`: they describe
 * every owner's work).
 */
const ADMIN_ROUTES = new Set(['/metrics']);

const decodedPath = (url: string): string => {
  const path = url.split('?')[0] ?? '';
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
};

/**
 * Whether a request needs an API key, decided on the route the router matched (`/%61pi/jobs` is
 * `/api/jobs`), never on the raw URL; a path that matched no route is judged on its decoded form, so that
 * a missing route under `/api` answers 401 like an existing one.
 */
export const needsKey = (request: FastifyRequest, open: boolean): boolean => {
  if (open) return false;
  const route = request.routeOptions.url;
  if (route === undefined) return decodedPath(request.url).startsWith('/api/');
  if (ADMIN_ROUTES.has(route)) return true;
  return route.startsWith('/api/') && !request.routeOptions.config?.public;
};

/** HSTS and `upgrade-insecure-requests` only when the service is reached over HTTPS (an https PUBLIC_URL). */
export const servesHttps = (config: Pick<Config, 'publicUrl'>): boolean =>
  config.publicUrl?.toLowerCase().startsWith('https://') ?? false;

/**
 * Fastify and Node server options that bound how long a client may take (slowloris): headers within 20 s (at
 * most REQUEST_TIMEOUT_SECONDS), silence for at most IDLE_TIMEOUT_SECONDS. Node's request timeout is one for
 * the whole server, so it is set to the longest any request may take (the largest signed upload at
 * MIN_UPLOAD_BYTES_PER_SECOND) as a backstop; the per-request deadlines of `registerRequestDeadline` hold
 * every other request to REQUEST_TIMEOUT_SECONDS.
 */
export const serverTimeouts = (config: Pick<Config, 'budgets' | 'maxFileBytes'>) => {
  const { budgets } = config;
  const largestUpload = Math.max(budgets.maxDatasetBytes, config.maxFileBytes);
  const requestMs = longestRequestSeconds(budgets, largestUpload) * 1000;
  return {
    requestTimeout: requestMs,
    connectionTimeout: budgets.idleTimeoutSeconds * 1000,
    http: {
      headersTimeout: Math.min(20_000, budgets.requestTimeoutSeconds * 1000),
      requestTimeout: requestMs,
      connectionsCheckingInterval: 1000,
    },
  };
};

/** The body for an error the router raises before any route runs: a URL it cannot decode, a parameter too long. */
export const frameworkErrorBody = (error: { code?: string; message?: string }): ErrorBody =>
  error.code === 'FST_ERR_BAD_URL'
    ? { error: { code: 'BAD_URL', message: 'the URL could not be decoded (a malformed %-escape)', field: 'url' } }
    : { error: { code: 'BAD_REQUEST', message: error.message ?? 'the request could not be routed', field: 'url' } };
