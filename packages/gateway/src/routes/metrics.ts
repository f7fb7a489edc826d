import type { GatewayContext } from '../context.js';
import { JOB_STATUSES, jobsByStatusCounter } from '../metrics.js';
import type { GatewayApp } from '../typed-app.js';

/**
 * `GET /metrics` in the Prometheus text format (prom-client): request latency by route, jobs created, jobs by
 * status, variants produced and jobs finished (as seen on the event bus), each queue's depth, and the process's
 * default metrics (`process_*`, `nodejs_*`).
 */
export const metricsRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  const { metrics, ports } = ctx;
  const jobsByStatus = jobsByStatusCounter(ports.events, ctx.clock);
  app.get(
    '/metrics',
    {
      config: { public: true, rateLimit: false },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        produces: ['text/plain'],
        response: { 200: { description: 'Prometheus text format 0.0.4', type: 'string' } },
      },
    },
    async (_request, reply) => {
      const [stats, counts] = await Promise.all([
        ports.queue.queues().then((names) => Promise.all(names.map((q) => ports.queue.stats(q)))),
        jobsByStatus(),
      ]);
      for (const status of JOB_STATUSES) metrics.jobs.set({ status }, counts[status]);
      const gauges = [metrics.queueVisible, metrics.queueInFlight, metrics.queueDelayed, metrics.queueOldestAge];
      for (const gauge of gauges) gauge.reset();
      for (const s of stats) {
        metrics.queueVisible.set({ queue: s.name }, s.visible);
        metrics.queueInFlight.set({ queue: s.name }, s.inFlight);
        metrics.queueDelayed.set({ queue: s.name }, s.delayed);
        metrics.queueOldestAge.set({ queue: s.name }, s.oldestAgeSeconds);
      }
      return reply.type(metrics.contentType).send(await metrics.render());
    },
  );
};
