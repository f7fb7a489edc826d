/**
 * @delta-augment/client: a typed client of the HTTP API, whose types are generated from the gateway's
 * OpenAPI document (`npm run gen:client`; a test fails when they drift). Browser-safe; the Node workflow
 * (folder upload, resume, watch, download) is at `@delta-augment/client/node`.
 */
export type { components, operations, paths } from './api-types.js';
export { type ClientOptions, createApi, type DeltaApi, ok } from './client.js';
export { ApiError, apiErrorOf, isRetryableStatus, UnreachableError } from './errors.js';
export type { JobView, SignedUpload } from './types.js';
