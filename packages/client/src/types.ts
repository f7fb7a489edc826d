import type { paths } from './api-types.js';

/** A job as `GET /api/jobs/{id}` answers it. */
export type JobView = paths['/api/jobs/{id}']['get']['responses'][200]['content']['application/json'];

/** One signed PUT URL of `POST /api/jobs` (JSON) or `POST /api/jobs/{id}/uploads`. */
export type SignedUpload = NonNullable<
  paths['/api/jobs/{id}/uploads']['post']['responses'][200]['content']['application/json']['uploads']
>[number];
