import { randomBytes } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import { badRequest } from '../errors.js';
import { checkWebhookUrl, WebhookUrlError } from './address-check.js';

/** The `webhookUrl` of a create request, checked (form, scheme, resolved addresses); undefined when absent. */
export const checkedWebhookUrl = async (ctx: GatewayContext, raw: unknown): Promise<string | undefined> => {
  if (raw === undefined || raw === '') return undefined;
  if (!ctx.webhooks) throw badRequest('webhookUrl', 'this deployment does not deliver webhooks');
  try {
    return (await checkWebhookUrl(raw, ctx.webhooks.settings.allowHosts)).toString();
  } catch (error) {
    if (error instanceof WebhookUrlError) throw badRequest('webhookUrl', error.message);
    throw error;
  }
};

/** Registers a job's webhook with a fresh signing secret, returned once to the creator. */
export const registerWebhook = async (ctx: GatewayContext, jobId: string, url: string | undefined) => {
  if (!url || !ctx.webhooks) return undefined;
  const secret = `whsec_${randomBytes(24).toString('base64url')}`;
  await ctx.webhooks.outbox.register({ jobId, url, secret, nextAt: ctx.clock.now() });
  return { url, secret, status: 'waiting', attempts: [] };
};

/** A job's webhook as the API shows it (never the secret). */
export const webhookView = async (ctx: GatewayContext, jobId: string) => {
  const webhook = await ctx.webhooks?.outbox.get(jobId);
  return webhook ? { url: webhook.url, status: webhook.status, attempts: webhook.attempts } : undefined;
};
