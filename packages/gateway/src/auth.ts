import { isIP } from 'node:net';
import type { Config } from '@delta-augment/ports';

export interface Caller {
  readonly owner: string;
  readonly admin: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** No keys configured and listening on loopback: the local default needs no login. */
export const isOpenMode = (config: Pick<Config, 'apiKeys' | 'adminKey' | 'host'>): boolean =>
  config.apiKeys.size === 0 &&
  !config.adminKey &&
  (LOOPBACK.has(config.host) || (isIP(config.host) === 4 && config.host.startsWith('127.')));

export const LOCAL_CALLER: Caller = { owner: 'local', admin: true };

/** Reads `Authorization: Bearer <key>`, or `?token=<key>` for links and WebSockets that cannot send headers. */
export const tokenOf = (
  headers: Record<string, string | string[] | undefined>,
  url: string | undefined,
): string | undefined => {
  const header = headers.authorization;
  const value = Array.isArray(header) ? header[0] : header;
  if (value?.startsWith('Bearer ')) return value.slice(7).trim();
  const query = url?.includes('?') ? new URLSearchParams(url.slice(url.indexOf('?') + 1)) : undefined;
  return query?.get('token') ?? undefined;
};

export const createAuthenticator = (config: Pick<Config, 'apiKeys' | 'adminKey' | 'host'>) => {
  const open = isOpenMode(config);
  return (headers: Record<string, string | string[] | undefined>, url: string | undefined): Caller | undefined => {
    if (open) return LOCAL_CALLER;
    const token = tokenOf(headers, url);
    if (!token) return undefined;
    if (config.adminKey && token === config.adminKey) return { owner: 'admin', admin: true };
    const owner = config.apiKeys.get(token);
    return owner ? { owner, admin: false } : undefined;
  };
};
