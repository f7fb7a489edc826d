import type { GatewayContext } from '../context.js';
import type { GatewayApp } from '../typed-app.js';

/** Probes are exempt from the rate limit: a load balancer must always be able to ask. */
const probe = { public: true, rateLimit: false } as const;

export const healthRoutes = async (
  app: GatewayApp,
  ctx: GatewayContext,
  readiness: Readonly<Record<string, () => boolean>> = {},
): Promise<void> => {
  app.get(
    '/healthz',
    {
      config: probe,
      schema: {
        summary: 'Liveness: 200 when the process is up',
        tags: ['health'],
        response: { 200: { type: 'object', properties: { status: { type: 'string', enum: ['ok'] } } } },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  const checks = {
    type: 'object',
    properties: {
      events: { type: 'boolean' },
      blobs: { type: 'boolean' },
      queue: { type: 'boolean' },
      ...Object.fromEntries(Object.keys(readiness).map((name) => [name, { type: 'boolean' }])),
    },
  } as const;
  app.get(
    '/readyz',
    {
      config: probe,
      schema: {
        summary: 'Readiness: 200 when the job store, blob store and queue answer, 503 otherwise',
        tags: ['health'],
        response: {
          200: { type: 'object', properties: { status: { type: 'string' }, checks } },
          503: { type: 'object', properties: { status: { type: 'string' }, checks } },
        },
      },
    },
    async (_request, reply) => {
      const results = await Promise.all([
        ctx.ports.events.ping().catch(() => false),
        ctx.ports.blobs.ping().catch(() => false),
        ctx.ports.queue.queues().then(
          () => true,
          () => false,
        ),
      ]);
      const [events, blobs, queue] = results;
      const extra = Object.fromEntries(Object.entries(readiness).map(([name, check]) => [name, check()]));
      const ok = results.every(Boolean) && Object.values(extra).every(Boolean);
      return reply
        .code(ok ? 200 : 503)
        .send({ status: ok ? 'ready' : 'not ready', checks: { events, blobs, queue, ...extra } });
    },
  );
};
