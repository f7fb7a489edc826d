import {
  blobKeys,
  type DroppedLabel,
  hasIndex,
  type ImageLabels,
  keypointCount,
  NotFoundError,
  writeCoco,
  writeVoc,
  writeYoloLabels,
  yoloTask,
} from '@delta-augment/core';
import { Type } from 'typebox';
import type { GatewayContext } from '../context.js';
import { notFound } from '../errors.js';
import type { GatewayApp } from '../typed-app.js';
import { loadOwnJob } from './own-job.js';
import { clientErrors, tokenQuery, variantParams } from './schemas.js';

const FORMATS = ['json', 'coco', 'yolo', 'voc'] as const;
type Format = (typeof FORMATS)[number];

/** GET a variant's labels, in the job's export format or the one asked for. */
export const labelRoutes = async (app: GatewayApp, ctx: GatewayContext): Promise<void> => {
  app.get(
    '/api/jobs/:id/sources/:sourceId/variants/:index/labels',
    {
      schema: {
        summary:
          "One output's labels: json (boxes, polygons, masks, keypoints, and what was dropped), coco, yolo or voc",
        tags: ['jobs'],
        params: variantParams,
        querystring: Type.Object({
          format: Type.Optional(
            Type.Enum(FORMATS, { type: 'string', description: "default: the job's export format (json for folders)" }),
          ),
          ...tokenQuery,
        }),
        produces: ['application/json', 'text/plain', 'application/xml'],
        response: clientErrors,
      },
    },
    async (request, reply) => {
      const { id, sourceId, index } = request.params;
      const state = await loadOwnJob(ctx, request, id);
      const source = await ctx.jobs.loadSource(state.id, sourceId);
      if (!source?.ext || !hasIndex(source.written, index) || !state.dataset)
        throw notFound(`labels of variant ${index} of source ${sourceId}`);
      const variant = { key: blobKeys.variant(state.id, sourceId, index, source.ext) };
      const labelsKey = blobKeys.variantLabels(state.id, sourceId, index);
      const raw = await ctx.ports.blobs.getBuffer(labelsKey).catch((error: unknown) => {
        if (error instanceof NotFoundError) throw notFound(`labels of variant ${index} of source ${sourceId}`);
        throw error;
      });
      const followed = JSON.parse(raw.toString('utf8')) as { labels: ImageLabels; dropped: DroppedLabel[] };
      const { categories } = state.dataset;
      const asked = request.query.format;
      const format: Format = asked ?? (state.dataset.export === 'folders' ? 'json' : state.dataset.export);
      const fileName = `${source.name.replace(/\.[^.]+$/, '')}_${String(index).padStart(3, '0')}.${variant.key.slice(variant.key.lastIndexOf('.') + 1)}`;
      switch (format) {
        case 'json':
          return reply.send({ categories: categories.map((c) => c.name), ...followed });
        case 'coco':
          return reply.type('application/json').send(writeCoco(categories, [{ fileName, labels: followed.labels }]));
        case 'yolo': {
          const task = yoloTask(categories, [followed.labels]);
          return reply
            .type('text/plain')
            .send(writeYoloLabels(followed.labels, task, task === 'pose' ? keypointCount(categories) : 0));
        }
        case 'voc':
          return reply
            .type('application/xml')
            .send(writeVoc(categories, fileName, source.split ?? 'train', followed.labels));
      }
    },
  );
};
