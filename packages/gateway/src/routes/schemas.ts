/** JSON schemas shared by the route groups: they validate input, serialise output and feed /docs. */

/** `{ error: { code, message, field? } }`, registered by `buildApp` as `error`. */
export const errorSchema = { $ref: 'error#' } as const;

/** The 4xx answers every authenticated route can give. */
export const clientErrors = { '4xx': errorSchema } as const;

export const JOB_ID = '^j_[A-Za-z0-9_-]{22}$';
export const SOURCE_ID = '^s_[A-Za-z0-9_-]{22}$';

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: JOB_ID, description: 'job id (j_ + 22 URL-safe characters)' } },
} as const;

export const sourceParams = {
  type: 'object',
  required: ['id', 'sourceId'],
  properties: {
    id: idParams.properties.id,
    sourceId: { type: 'string', pattern: SOURCE_ID, description: 'source id (s_ + 22 URL-safe characters)' },
  },
} as const;

export const variantParams = {
  type: 'object',
  required: ['id', 'sourceId', 'index'],
  properties: { ...sourceParams.properties, index: { type: 'integer', minimum: 0, maximum: 9999 } },
} as const;

/** `?token=` stands in for the Authorization header on links (<img>, <a download>). */
export const tokenQuery = { token: { type: 'string', maxLength: 200, description: 'API key, for links' } } as const;

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
