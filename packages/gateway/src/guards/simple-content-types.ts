/**
 * Content types a browser sends cross-origin without a CORS preflight. A JSON route that parsed such a body
 * could be driven by any web page (a form or `fetch(..., { mode: 'no-cors' })`), so they are refused on every
 * POST except where the route reads a multipart form.
 */
const SIMPLE_TYPES = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'];

export const mediaTypeOf = (contentType: string | undefined): string =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** Whether a POST with this content type is refused; `multipartRoute` says the route reads a multipart form. */
export const isRefusedSimpleType = (contentType: string | undefined, multipartRoute: boolean): boolean => {
  const type = mediaTypeOf(contentType);
  if (!SIMPLE_TYPES.includes(type)) return false;
  return !(multipartRoute && type === 'multipart/form-data');
};
