import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a webhook delivery. */
export const SIGNATURE_HEADER = 'delta-signature';
export const TIMESTAMP_HEADER = 'delta-timestamp';
export const DELIVERY_HEADER = 'delta-delivery';

/** `v1=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the job's webhook secret>`. */
export const signWebhook = (secret: string, timestamp: number, body: string): string =>
  `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

/**
 * What a receiver does (the README shows the same in a few lines): recompute the signature over the raw
 * body, compare in constant time, and refuse timestamps older than `toleranceSeconds` (replays).
 */
export const verifyWebhook = (
  secret: string,
  headers: { timestamp: string; signature: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean => {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(headers.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
};
