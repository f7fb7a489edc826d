import { RequestError } from '@delta-augment/datasets';

export { badRequest, RequestError, tooLarge, unsupported } from '@delta-augment/datasets';

export const notFound = (what: string) => new RequestError('NOT_FOUND', `${what} was not found`, 404);
export const unauthorized = () =>
  new RequestError('UNAUTHORIZED', 'missing or unknown API key: send Authorization: Bearer <key>', 401);
export const forbidden = (message: string) => new RequestError('FORBIDDEN', message, 403);

/** The one place where error codes become HTTP statuses. */
const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  NOT_FOUND: 404,
  INVALID_PIPELINE: 400,
  INVALID_KEY: 400,
  PERMANENT: 422,
  CONCURRENCY_CONFLICT: 409,
  TRANSIENT: 503,
  RECEIPT_HANDLE_INVALID: 409,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_REQ_FILE_TOO_LARGE: 413,
  FST_FILES_LIMIT: 413,
  FST_PARTS_LIMIT: 413,
  FST_FIELDS_LIMIT: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_INVALID_MULTIPART_CONTENT_TYPE: 415,
};

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly field?: string };
}

/** Messages for limits enforced by plugins, so that every limit is named in its error. */
export type LimitMessages = Readonly<Record<string, { field: string; message: string }>>;

interface ValidationIssue {
  readonly instancePath?: string;
  readonly message?: string;
  readonly params?: { readonly missingProperty?: string; readonly additionalProperty?: string };
}

/**
 * The field a schema error is about, as a client names it: `limit`, `files[0].bytes`, `id`; the part
 * of the request (`body`, `querystring`) when the error is about the whole of it.
 */
const validationField = (issue: ValidationIssue | undefined, context = 'body'): string => {
  const segments = (issue?.instancePath ?? '').split('/').filter(Boolean);
  const extra = issue?.params?.missingProperty ?? issue?.params?.additionalProperty;
  if (extra) segments.push(extra);
  const path = segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
  return path || context;
};

/** Maps any error to its status and `{ error: { code, message, field? } }` body; 5xx bodies never leak internals. */
export const toErrorResponse = (error: unknown, limits: LimitMessages = {}): { status: number; body: ErrorBody } => {
  if (error instanceof RequestError) {
    return {
      status: error.statusCode,
      body: { error: { code: error.code, message: error.message, field: error.field } },
    };
  }
  const e = error as {
    code?: string;
    message?: string;
    statusCode?: number;
    field?: string;
    validation?: unknown[];
    validationContext?: string;
  };
  if (e.validation) {
    const first = e.validation[0] as ValidationIssue | undefined;
    const field = validationField(first, e.validationContext);
    const message = first?.params?.additionalProperty
      ? `unknown field ${JSON.stringify(field)}`
      : first?.params?.missingProperty
        ? `${field} is required`
        : `${field} ${first?.message ?? 'is not valid'}`;
    return { status: 400, body: { error: { code: 'INVALID_FIELD', message, field } } };
  }
  const code = e.code ?? 'INTERNAL';
  const limit = limits[code];
  if (limit)
    return {
      status: STATUS_BY_CODE[code] ?? 413,
      body: { error: { code: 'TOO_LARGE', message: limit.message, field: limit.field } },
    };
  const status =
    STATUS_BY_CODE[code] ?? (e.statusCode && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500);
  const message = status >= 500 && status !== 503 ? 'internal error' : (e.message ?? code);
  const field = e.field ?? (code.startsWith('FST_ERR_CTP_') ? (status === 415 ? 'content-type' : 'body') : undefined);
  return { status, body: { error: { code, message, ...(field ? { field } : {}) } } };
};
