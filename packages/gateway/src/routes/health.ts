import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';

export const healthRoutes = async (app: FastifyInstance, ctx: GatewayContext): Promise<void> => {
  app.get('/healthz', { schema: { summary: 'Liveness: 200 when the process is up', tags: ['health'] } }, async () => ({
    status: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: 200 when the stores answer', tags: ['health'] } },
    async (_request, reply) => {
      const checks = await Promise.all([
        ctx.ports.events.ping().catch(() => false),
        ctx.ports.blobs.ping().catch(() => false),
        ctx.ports.queue.queues().then(
          () => true,
          () => false,
        ),
      ]);
      const [events, blobs, queue] = checks;
      const ok = checks.every(Boolean);
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks: { events, blobs, queue } });
    },
  );
};
