import { blobKeys, hasIndex } from '@delta-augment/core';
import type { FastifyReply } from 'fastify';
import type { GatewayContext } from '../context.js';
import { notFound, RequestError } from '../errors.js';
import type { GatewayApp } from '../typed-app.js';
import { loadOwnJob } from './own-job.js';
import { binary, clientErrors, errorSchema, idParams, sourceParams, tokenOnlyQuery, variantParams } from './schemas.js';

const sendBlob = async (ctx: GatewayContext, reply: FastifyReply, key: string, fileName?: string) => {
  const head = await ctx.ports.blobs.head(key);
  if (!head) throw notFound('the file');
  reply
    .header('content-type', head.contentType)
    .header('content-length', head.size)
    .header('cache-control', 'private, max-age=3600');
  if (fileName) reply.header('content-disposition', `attachment; filename="${fileName}"`);
  return reply.send(await ctx.ports.blobs.get(key));
};

/** A job's stored files: its zip, one variant image, one source's thumbnail. */
export const jobFileRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.get(
    '/api/jobs/:id/archive',
    {
      schema: {
        summary: "The job's zip, streamed: variants in their label folders, manifest.json and manifest.csv",
        tags: ['jobs'],
        params: idParams,
        querystring: tokenOnlyQuery,
        produces: ['application/zip'],
        response: {
          200: { description: 'the zip', content: { 'application/zip': { schema: binary('the zip') } } },
          409: { description: 'the job has no archive yet', ...errorSchema },
          ...clientErrors,
        },
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, request.params.id);
      if (!state.archive) {
        throw new RequestError('NOT_READY', `job ${state.id} has no archive yet (status ${state.status})`, 409, 'id');
      }
      return sendBlob(ctx, reply, state.archive.key, `${state.id}.zip`);
    },
  );

  app.get(
    '/api/jobs/:id/sources/:sourceId/variants/:index',
    {
      schema: {
        summary: 'One variant image, for preview',
        tags: ['jobs'],
        params: variantParams,
        querystring: tokenOnlyQuery,
        produces: ['image/jpeg', 'image/png', 'image/webp'],
        response: { 200: binary('the variant image'), ...clientErrors },
      },
    },
    async (request, reply) => {
      const { id, sourceId, index } = request.params;
      const state = await loadOwnJob(ctx, request, id);
      const source = await ctx.jobs.loadSource(state.id, sourceId);
      if (!source?.ext || !hasIndex(source.written, index)) throw notFound(`variant ${index} of source ${sourceId}`);
      return sendBlob(ctx, reply, blobKeys.variant(state.id, sourceId, index, source.ext));
    },
  );

  app.get(
    '/api/jobs/:id/sources/:sourceId/thumbnail',
    {
      schema: {
        summary: 'A small WebP preview of a source image (written when the source is first processed)',
        tags: ['jobs'],
        params: sourceParams,
        querystring: tokenOnlyQuery,
        produces: ['image/webp'],
        response: { 200: binary('the thumbnail'), ...clientErrors },
      },
    },
    async (request, reply) => {
      const { id, sourceId } = request.params;
      const state = await loadOwnJob(ctx, request, id);
      if (!(await ctx.jobs.loadSource(state.id, sourceId))) throw notFound(`source ${sourceId}`);
      return sendBlob(ctx, reply, blobKeys.thumbnail(id, sourceId));
    },
  );
};
