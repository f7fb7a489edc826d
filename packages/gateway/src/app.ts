import { existsSync } from 'node:fs';
import { type Clock, systemClock } from '@delta-augment/core';
import { type Config, JobService, type Ports, type WebhookOutbox } from '@delta-augment/ports';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyReply } from 'fastify';
import { adminScope } from './admin-scope.js';
import { type Caller, createAuthenticator, isOpenMode, LOCAL_CALLER } from './auth.js';
import { QuotaExceededError } from './console/quota-guard.js';
import { createContext, type GatewayContext } from './context.js';
import { toErrorResponse, unauthorized } from './errors.js';
import { registerGuards } from './guards/index.js';
import { frameworkErrorBody, needsKey, serverTimeouts, servesHttps } from './guards/routed-auth.js';
import { createMetrics } from './metrics.js';
import { MAX_FIELD_BYTES } from './multipart.js';
import { adminRoutes } from './routes/admin.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { presetRoutes } from './routes/presets.js';
import { previewRoutes } from './routes/preview.js';
import { queueRoutes } from './routes/queues.js';
import { signedBlobRoutes } from './routes/signed-blobs.js';
import type { GatewayApp } from './typed-app.js';
import type { WebhookSettings } from './webhooks/settings.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
  interface FastifyContextConfig {
    /** Routes that need no API key. */
    public?: boolean;
    /** Uploads whose time budget grows with the bytes received (MIN_UPLOAD_BYTES_PER_SECOND; see `registerRequestDeadline`). */
    paced?: boolean;
  }
}

export interface GatewayDeps {
  readonly config: Config;
  readonly ports: Ports;
  readonly clock?: Clock;
  /** Built web page (index.html, app.js), injected by the app (`@delta-augment/web`); served at `/` when present. */
  readonly webRoot?: string;
  readonly logger?: boolean;
  /**
   * Extra readiness checks by name, answered synchronously (e.g. `ingress`: the AWS notifier's queue
   * is receiving). `/readyz` is 503 while any of them is false.
   */
  readonly readiness?: Readonly<Record<string, () => boolean>>;
  /** Where webhooks are registered (the dispatcher delivers them); without it `webhookUrl` is refused. */
  readonly webhooks?: { readonly outbox: WebhookOutbox; readonly settings: WebhookSettings };
}

/** Builds the gateway without listening: `server.ts` listens, tests use `app.inject`. */
export const buildApp = async (deps: GatewayDeps): Promise<{ app: GatewayApp; context: GatewayContext }> => {
  const { config, ports } = deps;
  const clock = deps.clock ?? systemClock;
  const metrics = createMetrics();
  const jobs = new JobService(ports.events, ports.bus);
  const base = createContext(config, ports, jobs, clock, metrics);
  const ctx: GatewayContext = deps.webhooks
    ? {
        ...base,
        webhooks: deps.webhooks,
        deleteJob: async (jobId) => {
          await base.deleteJob(jobId);
          await deps.webhooks?.outbox.delete(jobId);
        },
      }
    : base;
  const authenticate = createAuthenticator(config);
  const open = isOpenMode(config);
  const app = Fastify({
    logger: deps.logger ? { level: 'info' } : false,
    bodyLimit: 1024 * 1024,
    // Above the load balancer's idle timeout (infra/load-balancer.ts), which then closes idle connections first.
    keepAliveTimeout: config.keepAliveTimeoutSeconds * 1000,
    // On AWS trust TRUSTED_PROXY_HOPS hops (the load balancer, and CloudFront in front of it: the viewer's
    // address is the rate-limit key); locally X-Forwarded-For is never trusted (no spoofed rate-limit keys).
    trustProxy: config.adapters === 'aws' ? (_address: string, hop: number) => hop < config.trustedProxyHops : false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // Slow clients cannot hold connections: headers within 20 s, silence for at most IDLE_TIMEOUT_SECONDS, the
    // whole request within REQUEST_TIMEOUT_SECONDS (a signed upload: plus a second per MIN_UPLOAD_BYTES_PER_SECOND
    // bytes, see guards/request-deadline.ts); checked every second (Node checks every 30 s by default).
    ...serverTimeouts(config),
    // Errors the router raises before any route (a malformed %-escape) get the documented error shape.
    frameworkErrors: (error, _request, reply) => {
      (reply as unknown as FastifyReply).code(400).send(frameworkErrorBody(error));
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('caller', null as unknown as Caller);
  registerGuards(app, config);
  app.addSchema({
    $id: 'error',
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } },
      },
    },
  });
  const limitMessages = {
    FST_FILES_LIMIT: {
      field: 'file',
      message: `more than ${config.maxFilesPerJob} files in one job (MAX_FILES_PER_JOB)`,
    },
    FST_REQ_FILE_TOO_LARGE: { field: 'file', message: `a file is over ${config.maxFileBytes} bytes (MAX_FILE_BYTES)` },
    FST_PARTS_LIMIT: {
      field: 'file',
      message: `more than ${config.maxFilesPerJob + 10} parts in one request (MAX_FILES_PER_JOB + 10 fields)`,
    },
    FST_FIELDS_LIMIT: { field: 'body', message: 'more than 10 fields in one request' },
    FST_ERR_CTP_BODY_TOO_LARGE: { field: 'body', message: 'the JSON body is over 1048576 bytes' },
  };
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorResponse(error, limitMessages);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (error instanceof QuotaExceededError && error.retryAfterSeconds !== undefined) {
      reply.header('retry-after', String(error.retryAfterSeconds));
    }
    if (status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '60');
    if (status === 503) reply.header('retry-after', '5');
    // No error names a server path, whatever a library put in its message.
    return reply
      .code(status)
      .send({ error: { ...body.error, message: body.error.message.replaceAll(config.dataDir, 'DATA_DIR') } });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } }),
  );

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        upgradeInsecureRequests: servesHttps(config) ? [] : null,
      },
    },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    // Over plain HTTP (the local default, or a LAN host) these would break the page: only an https PUBLIC_URL gets them.
    strictTransportSecurity: servesHttps(config),
  });
  await app.register(cors, { origin: config.corsOrigins.length ? [...config.corsOrigins] : false, credentials: false });
  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: '1 minute',
    keyGenerator: (request) => {
      const caller = authenticate(request.headers, request.url);
      return caller && caller !== LOCAL_CALLER ? `key:${caller.owner}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) => ({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: `rate limit of ${context.max} requests per ${context.after} exceeded (RATE_LIMIT_PER_MINUTE); retry later`,
    }),
  });
  await app.register(multipart, {
    limits: {
      fileSize: config.maxFileBytes,
      files: config.maxFilesPerJob,
      fields: 10,
      fieldSize: MAX_FIELD_BYTES,
      parts: config.maxFilesPerJob + 10,
      headerPairs: 200,
    },
  });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Delta Augment API', version: '0.1.0', description: 'Image augmentation for ML datasets' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: isOpenMode(config) ? [] : [{ bearer: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (request) => {
    const caller = authenticate(request.headers, request.url);
    if (needsKey(request, open) && !caller) throw unauthorized();
    if (caller) request.caller = caller;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.observe(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  const unsubscribe = ports.bus.subscribe((event) => {
    if (event.type === 'VariantsWritten') metrics.variantsProduced.inc(event.data.variants.length);
    if (event.type === 'JobCompleted' || event.type === 'JobFailed') metrics.jobsFinished.inc({ status: event.type });
  });
  app.addHook('onClose', async () => unsubscribe());

  await app.register(async (scope) => healthRoutes(scope, ctx, deps.readiness ?? {}));
  await app.register(async (scope) => jobRoutes(scope, ctx));
  await app.register(adminScope((admin) => queueRoutes(admin, ctx)));
  await app.register(async (scope) => adminRoutes(scope, ctx));
  await app.register(async (scope) => presetRoutes(scope));
  await app.register(async (scope) => previewRoutes(scope, ctx));
  if (config.signingSecret) await app.register(async (scope) => signedBlobRoutes(scope, ctx));

  await app.register(adminScope((admin) => metricsRoutes(admin, ctx)));

  const webRoot = deps.webRoot;
  if (webRoot && existsSync(webRoot)) {
    await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], wildcard: false });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html')
        .send(
          '<!doctype html><title>Delta Augment</title><p>The web page is not built: run <code>npm run build</code>. The API is at <a href="/docs">/docs</a>.</p>',
        ),
    );
  }
  return { app, context: ctx };
};
