import { createHash, timingSafeEqual } from 'node:crypto';
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

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares digests in constant time, so the time taken says nothing about how much of a key matched. */
const sameKey = (a: Buffer, b: Buffer): boolean => timingSafeEqual(a, b);

export const createAuthenticator = (config: Pick<Config, 'apiKeys' | 'adminKey' | 'host'>) => {
  const open = isOpenMode(config);
  const admin = config.adminKey ? digest(config.adminKey) : undefined;
  const keys = [...config.apiKeys].map(([key, owner]) => ({ digest: digest(key), owner }));
  return (headers: Record<string, string | string[] | undefined>, url: string | undefined): Caller | undefined => {
    if (open) return LOCAL_CALLER;
    const token = tokenOf(headers, url);
    if (!token) return undefined;
    const presented = digest(token);
    // Every key is compared, whichever matches: no early exit that a stopwatch could see.
    let caller: Caller | undefined;
    if (admin && sameKey(presented, admin)) caller = { owner: 'admin', admin: true };
    for (const key of keys) {
      if (sameKey(presented, key.digest) && !caller) caller = { owner: key.owner, admin: false };
    }
    return caller;
  };
};
