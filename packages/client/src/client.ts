import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './api-types.js';
import { apiErrorOf, UnreachableError } from './errors.js';

/** Where the API is and how to authenticate. */
export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** API key, sent as `Authorization: Bearer <key>`. */
  readonly key?: string;
  /** A fetch to use instead of the global one. */
  readonly fetch?: (input: Request) => Promise<Response>;
}

/** The typed client: `api.GET('/api/jobs/{id}', { params: { path: { id } } })`, with paths and bodies checked. */
export type DeltaApi = Client<paths>;

/**
 * A typed client of the Delta Augment API (openapi-fetch over the types generated from its OpenAPI document).
 * Requests that cannot reach the server reject with {@link UnreachableError}.
 */
export const createApi = (options: ClientOptions): DeltaApi => {
  const api = createClient<paths>({
    baseUrl: options.url.replace(/\/+$/, ''),
    fetch: async (request) => {
      try {
        return await (options.fetch ?? globalThis.fetch)(request);
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        throw new UnreachableError(
          `cannot reach ${options.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    },
  });
  if (options.key) {
    const auth: Middleware = {
      onRequest: ({ request }) => {
        request.headers.set('authorization', `Bearer ${options.key}`);
        return request;
      },
    };
    api.use(auth);
  }
  return api;
};

/**
 * The data of an openapi-fetch result, or the API's error thrown as {@link ApiError}
 * (`{ error: { code, message, field } }` with the status).
 */
export const ok = async <T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<NonNullable<T>> => {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) {
    if (response.status === 502 || response.status === 503 || response.status === 504) {
      throw new UnreachableError(`the server answered ${response.status} ${response.statusText}`);
    }
    throw apiErrorOf(response.status, error);
  }
  return data as NonNullable<T>;
};
