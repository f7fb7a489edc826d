import { adminScope } from '../admin-scope.js';
import type { GatewayContext } from '../context.js';
import { unsupported } from '../errors.js';
import { refuseNulls } from '../job-options.js';
import { jobViewSchema, loadView } from '../job-view.js';
import type { GatewayApp } from '../typed-app.js';
import { webhookView } from '../webhooks/register.js';
import {
  createFromSignedRequest,
  createFromUpload,
  resignUploads,
  signedRequestSchema,
  signedUploadSchema,
  uploadDeadlineSchema,
  uploadFormSchema,
} from './create-routes.js';
import { jobFileRoutes } from './job-files.js';
import { jobListRoutes } from './job-list.js';
import { jobPageRoutes } from './job-pages.js';
import { jobRetryRoutes } from './job-retry.js';
import { labelRoutes } from './labels.js';
import { loadOwnJob } from './own-job.js';
import { recentImageRoutes } from './recent-images.js';
import { clientErrors, idParams, tokenOnlyQuery } from './schemas.js';

/**
 * The job routes: create, read, resume uploads and delete here; the list, the event and source pages, the
 * stored files, labels, recent images and the admin's retry in their own modules.
 */
export const jobRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.post(
    '/api/jobs',
    {
      // JSON nulls are refused before the schema's coercion turns them into defaults.
      preValidation: async (request) => {
        if (!request.isMultipart()) refuseNulls(request.body);
      },
      config: {
        // The multipart form is read part by part by `readForm`; described here for /docs only.
        swaggerTransform: ({ schema, url }) => ({
          url,
          schema: {
            ...schema,
            body: {
              content: {
                'application/json': { schema: signedRequestSchema(ctx.config) },
                'multipart/form-data': { schema: uploadFormSchema(ctx.config) },
              },
            },
          },
        }),
      },
      schema: {
        summary: 'Create a job',
        description:
          'multipart/form-data: one or more `file` parts (images, or one dataset .zip whose folders are class labels) ' +
          'and the fields variants, tags, preset or pipeline, seed → 202 with the queued job. ' +
          'application/json: `{ files: [{ name, bytes, label? }], variants, tags, preset | pipeline, seed }` → 201 with ' +
          'the job and one signed PUT URL per file, for direct-to-storage uploads that the gateway does not carry.',
        tags: ['jobs'],
        consumes: ['multipart/form-data', 'application/json'],
        body: { content: { 'application/json': { schema: signedRequestSchema(ctx.config) } } },
        response: {
          202: { description: 'the job, queued', ...jobViewSchema },
          201: {
            description: 'the job, waiting for its uploads',
            type: 'object',
            properties: {
              ...jobViewSchema.properties,
              uploads: { type: 'array', items: signedUploadSchema },
              uploadDeadline: uploadDeadlineSchema,
            },
          },
          ...clientErrors,
        },
      },
    },
    async (request, reply) => {
      if (request.isMultipart()) return createFromUpload(ctx, request, reply);
      if (request.headers['content-type']?.toLowerCase().startsWith('application/json')) {
        return createFromSignedRequest(ctx, request, reply);
      }
      throw unsupported('content-type', 'send multipart/form-data (files) or application/json (signed uploads)');
    },
  );

  app.get(
    '/api/jobs/:id',
    {
      schema: {
        summary: "A job's state, progress, sources and tags",
        tags: ['jobs'],
        params: idParams,
        querystring: tokenOnlyQuery,
        response: { 200: jobViewSchema, ...clientErrors },
      },
    },
    async (request) => {
      const state = await loadOwnJob(ctx, request, request.params.id);
      return { ...(await loadView(ctx.jobs, state)), webhook: await webhookView(ctx, state.id) };
    },
  );

  app.post(
    '/api/jobs/:id/uploads',
    {
      schema: {
        summary: 'Fresh signed PUT URLs for the sources not uploaded yet (resume an interrupted upload)',
        tags: ['jobs'],
        params: idParams,
        response: {
          200: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              uploaded: { type: 'array', items: { type: 'string' }, description: 'source ids already stored' },
              uploads: { type: 'array', items: signedUploadSchema },
              uploadDeadline: uploadDeadlineSchema,
            },
          },
          ...clientErrors,
        },
      },
    },
    async (request) => {
      const state = await loadOwnJob(ctx, request, request.params.id);
      return resignUploads(ctx, state);
    },
  );

  app.delete(
    '/api/jobs/:id',
    {
      schema: {
        summary: 'Delete a job and all its data (sources, variants, thumbnails, zip, events)',
        tags: ['jobs'],
        params: idParams,
        response: { 204: { description: 'deleted', type: 'null' }, ...clientErrors },
      },
    },
    async (request, reply) => {
      const state = await loadOwnJob(ctx, request, request.params.id);
      await ctx.deleteJob(state.id);
      return reply.code(204).send(null);
    },
  );

  await jobListRoutes(app, ctx);
  await jobPageRoutes(app, ctx);
  await jobFileRoutes(app, ctx);
  await app.register(adminScope((admin) => jobRetryRoutes(admin, ctx)));
  await recentImageRoutes(app, ctx);
  await labelRoutes(app, ctx);
};
