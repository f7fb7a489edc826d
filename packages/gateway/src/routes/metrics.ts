import type { GatewayContext } from '../context.js';
import { gauge, JOB_COUNT_CAP, JOB_STATUSES, jobsByStatusCounter } from '../metrics.js';
import type { GatewayApp } from '../typed-app.js';

/**
 * `GET /metrics` in the Prometheus text format: request latency by route, jobs created, jobs by status,
 * variants produced and jobs finished (as seen on the event bus), and each queue's depth.
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
      const body = [
        metrics.requests.render(),
        metrics.jobsCreated.render(),
        gauge(
          'delta_jobs',
          `Jobs by status (counted up to ${JOB_COUNT_CAP} per status)`,
          JOB_STATUSES.map((status) => ({ labels: { status }, value: counts[status] })),
        ),
        metrics.variantsProduced.render(),
        metrics.jobsFinished.render(),
        gauge(
          'delta_queue_visible_messages',
          'Messages waiting in each queue',
          stats.map((s) => ({ labels: { queue: s.name }, value: s.visible })),
        ),
        gauge(
          'delta_queue_in_flight_messages',
          'Messages being processed',
          stats.map((s) => ({ labels: { queue: s.name }, value: s.inFlight })),
        ),
        gauge(
          'delta_queue_delayed_messages',
          'Messages delayed before they become visible',
          stats.map((s) => ({ labels: { queue: s.name }, value: s.delayed })),
        ),
        gauge(
          'delta_queue_oldest_message_age_seconds',
          'Age of the oldest message',
          stats.map((s) => ({ labels: { queue: s.name }, value: s.oldestAgeSeconds })),
        ),
      ].join('\n');
      return reply.type('text/plain; version=0.0.4').send(`${body}\n`);
    },
  );
};
