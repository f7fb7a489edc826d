import { PRESETS, pipelineJsonSchema } from '@delta-augment/core';
import type { GatewayApp } from '../typed-app.js';

export const presetRoutes = async (app: GatewayApp): Promise<void> => {
  app.get(
    '/api/presets',
    {
      schema: {
        summary: 'Named pipeline presets and the JSON Schema of a pipeline spec',
        tags: ['pipelines'],
        response: {
          200: {
            type: 'object',
            properties: {
              default: { type: 'string' },
              presets: { type: 'object', additionalProperties: true },
              schema: { type: 'object', additionalProperties: true },
            },
          },
        },
      },
    },
    async () => ({ default: 'delta-classic', presets: PRESETS, schema: pipelineJsonSchema }),
  );
};
