import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorFromResponse } from '../../apps/web/src/api.js';
import { KeyStore } from '../../apps/web/src/auth.js';
import { formatAgo, formatBytes, parseTags, tagProblem } from '../../apps/web/src/format.js';
import { backoffDelay } from '../../apps/web/src/live.js';

describe('formatting for people', () => {
  it('writes sizes with one decimal below 100 and none above', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(250 * 1024 * 1024), '250 MB');
  });

  it('writes times relative to now, then as a date after a week', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    assert.equal(formatAgo('2026-03-10T11:59:40Z', now), 'just now');
    assert.equal(formatAgo('2026-03-10T11:55:00Z', now), '5 min ago');
    assert.equal(formatAgo('2026-03-09T12:00:00Z', now), '1 day ago');
    assert.equal(formatAgo('2026-02-01T00:00:00Z', now), '2026-02-01');
    assert.equal(formatAgo('not a date', now), '');
  });
});

describe('tags typed into the form', () => {
  it('are split on commas, trimmed, lower-cased and deduplicated', () => {
    assert.deepEqual(parseTags(' Cats, dogs ,, cats ,Birds of prey'), ['cats', 'dogs', 'birds of prey']);
  });

  it('are refused with the reason when the gateway would refuse them', () => {
    assert.equal(tagProblem(['cats', 'dogs']), undefined);
    assert.match(tagProblem(['-bad']) ?? '', /"-bad" must be 1–40 letters/);
    assert.match(tagProblem(Array.from({ length: 21 }, (_, i) => `t${i}`)) ?? '', /At most 20 tags/);
  });
});

describe('API errors', () => {
  it('are read from the { error: { code, message, field } } body', () => {
    // Act
    const error = errorFromResponse(
      422,
      'Unprocessable Entity',
      '{"error":{"code":"CORRUPT_IMAGE","message":"x.jpg could not be read","field":"file"}}',
    );
    // Assess
    assert.equal(error.status, 422);
    assert.equal(error.code, 'CORRUPT_IMAGE');
    assert.equal(error.message, 'x.jpg could not be read');
    assert.equal(error.field, 'file');
  });

  it('fall back to a sentence about the status when the body is not the API shape', () => {
    assert.match(errorFromResponse(401, 'Unauthorized', '').message, /API key/);
    assert.match(errorFromResponse(413, 'Payload Too Large', '<html>').message, /too large/);
    assert.equal(errorFromResponse(502, 'Bad Gateway', '').message, 'The server answered 502 Bad Gateway');
  });
});

describe('the API key', () => {
  it('is kept in storage, sent as a bearer header and appended as ?token= to URLs', () => {
    // Prepare
    const stored = new Map<string, string>();
    const storage = {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
      removeItem: (k: string) => void stored.delete(k),
    };
    const keys = new KeyStore(storage);
    // Act
    keys.set('  s3cret/key ');
    const reloaded = new KeyStore(storage);
    // Assess
    assert.equal(reloaded.value, 's3cret/key');
    assert.deepEqual(reloaded.headers(), { authorization: 'Bearer s3cret/key' });
    assert.equal(reloaded.withToken('/api/jobs/j/archive'), '/api/jobs/j/archive?token=s3cret%2Fkey');
    assert.equal(reloaded.withToken('/ws?x=1'), '/ws?x=1&token=s3cret%2Fkey');
    reloaded.set('');
    assert.equal(stored.size, 0);
    assert.deepEqual(new KeyStore(storage).headers(), {});
  });

  it('works without storage (blocked by the browser)', () => {
    const keys = new KeyStore(undefined);
    keys.set('k');
    assert.equal(keys.withToken('/a'), '/a?token=k');
  });
});

describe('reconnecting the WebSocket', () => {
  it('waits 0.5 s doubling up to 15 s, shortened by at most 30 % jitter', () => {
    assert.equal(
      backoffDelay(0, () => 0),
      500,
    );
    assert.equal(
      backoffDelay(3, () => 0),
      4000,
    );
    assert.equal(
      backoffDelay(20, () => 0),
      15_000,
    );
    assert.equal(
      backoffDelay(20, () => 1),
      10_500,
    );
  });
});
