import { RedriveTask } from '@delta-augment/ports';
import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { notFound } from '../errors.js';
import type { GatewayApp } from '../typed-app.js';
import { knownQueue, queueParams } from './queue-params.js';
import { clientErrors } from './schemas.js';

const DEFAULT_BATCH = 10;

/** A DLQ's background redrive in batches: start (or resume), watch, cancel (admin; registered by `queueRoutes`). */
export const redriveTaskRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  const { queue } = ctx.ports;
  const tasks = new Map<string, RedriveTask>();
  const taskSchema = {
    type: 'object',
    properties: {
      queue: { type: 'string' },
      state: { type: 'string', enum: ['idle', 'running', 'cancelled', 'completed', 'failed'] },
      moved: { type: 'integer' },
      remaining: { type: 'integer' },
      error: { type: 'string' },
    },
  } as const;

  app.post(
    '/api/queues/:name/redrive-task',
    {
      schema: {
        summary: 'Start (or resume) a background redrive of a DLQ in batches; cancellable (admin)',
        tags: ['queues'],
        params: queueParams,
        body: Type.Union([
          Type.Object(
            {
              batchSize: Type.Optional(
                Type.Integer({ minimum: 1, maximum: 1000, description: `default ${DEFAULT_BATCH}` }),
              ),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ]),
        response: { 202: taskSchema, ...clientErrors },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      await knownQueue(ctx, name);
      let task = tasks.get(name);
      const state = task?.status().state;
      if (!task || state === 'completed' || state === 'failed') {
        task = new RedriveTask(queue, name, { batchSize: request.body?.batchSize ?? DEFAULT_BATCH });
        tasks.set(name, task);
      }
      void task.start();
      return reply.code(202).send({ queue: name, ...task.status() });
    },
  );

  app.get(
    '/api/queues/:name/redrive-task',
    {
      schema: {
        summary: "The DLQ's background redrive: state, moved, remaining (admin)",
        tags: ['queues'],
        params: queueParams,
        response: { 200: taskSchema, ...clientErrors },
      },
    },
    async (request) => {
      const { name } = request.params;
      await knownQueue(ctx, name);
      const task = tasks.get(name);
      if (!task) throw notFound(`a redrive task of ${name}`);
      return { queue: name, ...task.status() };
    },
  );

  app.delete(
    '/api/queues/:name/redrive-task',
    {
      schema: {
        summary: 'Cancel the background redrive after its current batch (admin)',
        tags: ['queues'],
        params: queueParams,
        response: { 202: taskSchema, ...clientErrors },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      await knownQueue(ctx, name);
      const task = tasks.get(name);
      if (!task) throw notFound(`a redrive task of ${name}`);
      task.cancel();
      return reply.code(202).send({ queue: name, ...task.status() });
    },
  );
};
