import type { SourceState } from '@delta-augment/core';
import { DEAD_LETTER_QUEUE, UPLOAD_QUEUE } from '@delta-augment/ports';
import type { GatewayContext } from '../context.js';
import type { GatewayApp } from '../typed-app.js';
import { loadOwnJob } from './own-job.js';
import { clientErrors, idParams } from './schemas.js';

/** POST /api/jobs/:id/retry: sends a job's failed and dead-lettered sources again (admin; register in `adminScope`). */
export const jobRetryRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.post(
    '/api/jobs/:id/retry',
    {
      schema: {
        summary: 'Retry the failed and dead-lettered sources of a job (admin)',
        tags: ['queues'],
        params: idParams,
        response: {
          202: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              retried: { type: 'array', items: { type: 'string' } },
              queue: { type: 'string' },
              deadLetterQueue: { type: 'string' },
            },
          },
          ...clientErrors,
        },
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, request.params.id);
      const retried: string[] = [];
      const failed: SourceState[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.jobs.sources(state.id, { limit: 1000, cursor });
        failed.push(...page.items.filter((s) => s.status === 'failed' || s.status === 'dead-lettered'));
        cursor = page.cursor;
      } while (cursor);
      for (const source of failed) {
        // A source whose object was never stored (an interrupted upload) cannot be retried: reopening it
        // without a message would leave the job open for ever.
        const head = await ctx.ports.blobs.head(source.key);
        if (!head) continue;
        await ctx.jobs.handleSource(state.id, source.sourceId, { type: 'RedriveSource' }, source);
        await ctx.resend(source.key, head.size);
        retried.push(source.sourceId);
      }
      return reply.code(202).send({ id: state.id, retried, queue: UPLOAD_QUEUE, deadLetterQueue: DEAD_LETTER_QUEUE });
    },
  );
};
