/**
 * JSON schemas shared by the route groups: they validate input, serialise output and feed /docs. Input
 * schemas are TypeBox, so that the type provider types the handlers' request data from them.
 */
import { Type } from 'typebox';

/** `{ error: { code, message, field? } }`, registered by `buildApp` as `error`. */
export const errorSchema = { $ref: 'error#' } as const;

/** The 4xx answers every authenticated route can give. */
export const clientErrors = { '4xx': errorSchema } as const;

export const JOB_ID = '^j_[A-Za-z0-9_-]{22}$';
export const SOURCE_ID = '^s_[A-Za-z0-9_-]{22}$';

export const jobId = Type.String({ pattern: JOB_ID, description: 'job id (j_ + 22 URL-safe characters)' });
export const sourceId = Type.String({ pattern: SOURCE_ID, description: 'source id (s_ + 22 URL-safe characters)' });

export const idParams = Type.Object({ id: jobId });

export const sourceParams = Type.Object({ id: jobId, sourceId });

export const variantParams = Type.Object({
  id: jobId,
  sourceId,
  index: Type.Integer({ minimum: 0, maximum: 9999 }),
});

/** `?token=` stands in for the Authorization header on links (<img>, <a download>). */
export const tokenQuery = {
  token: Type.Optional(Type.String({ maxLength: 200, description: 'API key, for links' })),
} as const;

/** A querystring of only `?token=`. */
export const tokenOnlyQuery = Type.Object({ ...tokenQuery });

/** A binary body (image, zip) in the OpenAPI document. */
export const binary = (description: string) => ({ description, type: 'string', format: 'binary' }) as const;

export const eventSchema = {
  type: 'object',
  properties: {
    jobId: { type: 'string' },
    seq: { type: 'integer' },
    at: { type: 'string' },
    type: { type: 'string' },
    data: { type: 'object', additionalProperties: true },
  },
} as const;
