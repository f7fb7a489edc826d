import type { IncomingHttpHeaders } from 'node:http';
import type { Config } from '@delta-augment/ports';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

/** The host name of a `Host` header or an origin's host, lower case, without the port (`[::1]` kept bracketed). */
export const hostnameOf = (host: string): string => {
  const value = host.trim().toLowerCase();
  if (value.startsWith('[')) return value.slice(0, value.indexOf(']') + 1);
  return value.split(':')[0] ?? '';
};

/**
 * The names open mode answers to: loopback, the listen address and ALLOWED_HOSTS. Anything else in a
 * `Host` header is a DNS-rebinding page (`evil.example` resolving to 127.0.0.1) reading the local API.
 */
export const allowedHostnames = (config: Pick<Config, 'host' | 'budgets'>): ReadonlySet<string> => {
  const listen = config.host.toLowerCase();
  return new Set([
    ...LOOPBACK_NAMES,
    listen,
    listen.includes(':') ? `[${listen}]` : listen,
    ...config.budgets.allowedHosts,
  ]);
};

export type LocalOnlyVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: 'HOST_NOT_ALLOWED' | 'CROSS_ORIGIN'; readonly message: string };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Open mode serves the local user only: the `Host` must be a local name (DNS rebinding), and a
 * state-changing request (or a WebSocket upgrade) from a browser must come from the page this server
 * serves: its `Origin` must name the same host and port as the `Host` header. Clients that send no
 * `Origin` (curl, the CLI) are not browsers and pass.
 */
export const checkLocalOnly = (
  allowed: ReadonlySet<string>,
  method: string,
  headers: IncomingHttpHeaders,
  options: { readonly upgrade?: boolean } = {},
): LocalOnlyVerdict => {
  const host = headers.host ?? '';
  if (!allowed.has(hostnameOf(host))) {
    return {
      ok: false,
      code: 'HOST_NOT_ALLOWED',
      message: `host ${JSON.stringify(hostnameOf(host).slice(0, 60))} is not served in open mode; use localhost or add it to ALLOWED_HOSTS`,
    };
  }
  if (SAFE_METHODS.has(method.toUpperCase()) && !options.upgrade) return { ok: true };
  const origin = headers.origin;
  if (origin === undefined) return { ok: true };
  let originHost: string | undefined;
  try {
    originHost = origin === 'null' ? undefined : new URL(origin).host.toLowerCase();
  } catch {
    originHost = undefined;
  }
  if (originHost !== undefined && originHost === host.toLowerCase()) return { ok: true };
  return {
    ok: false,
    code: 'CROSS_ORIGIN',
    message: `requests from the page at ${JSON.stringify(origin.slice(0, 80))} are refused in open mode: only the page this server serves may change anything`,
  };
};
