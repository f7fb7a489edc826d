import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** Ranges a webhook may not reach unless its host is allowed: loopback, private, link-local, and the like. */
const BLOCKED = (() => {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const)
    list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
    ['64:ff9b::', 96],
  ] as const)
    list.addSubnet(net, prefix, 'ipv6');
  return list;
})();

/** True for an address outside every private, loopback, link-local and reserved range (IPv4-mapped IPv6 too). */
export const isPublicAddress = (address: string): boolean => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isPublicAddress(mapped);
  const family = isIP(address);
  if (family === 0) return false;
  return !BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
};

/** Thrown when a webhook URL may not be used; `message` says why. */
export class WebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUrlError';
  }
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * The addresses a webhook URL's host resolves to, each checked: every one must be public unless the host is
 * in WEBHOOK_ALLOW_HOSTS. The resolved addresses are checked (not only the literal), so a name that points
 * at 127.0.0.1 or 169.254.169.254 is refused too.
 */
export const resolveWebhookHost = async (
  url: URL,
  allowHosts: ReadonlySet<string>,
): Promise<{ address: string; family: number }[]> => {
  const host = hostOf(url);
  let addresses: { address: string; family: number }[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  } catch (error) {
    throw new WebhookUrlError(
      `the webhook host ${host} does not resolve (${(error as { code?: string }).code ?? 'error'})`,
    );
  }
  if (allowHosts.has(host)) return addresses;
  const refused = addresses.find((a) => !isPublicAddress(a.address));
  if (refused) {
    throw new WebhookUrlError(
      `the webhook host ${host} resolves to ${refused.address}, a private, loopback or link-local address; an operator can allow it with WEBHOOK_ALLOW_HOSTS`,
    );
  }
  return addresses;
};

/** Checks a webhook URL's form (http or https, no credentials, at most 2048 characters) and its host. */
export const checkWebhookUrl = async (raw: unknown, allowHosts: ReadonlySet<string>): Promise<URL> => {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2048)
    throw new WebhookUrlError('webhookUrl must be an http(s) URL of at most 2048 characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError('webhookUrl is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookUrlError('webhookUrl must use http or https');
  if (url.username || url.password) throw new WebhookUrlError('webhookUrl must not carry credentials');
  await resolveWebhookHost(url, allowHosts);
  return url;
};
