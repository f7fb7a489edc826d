import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NotFoundError } from '../../packages/core/src/errors.js';
import type { BlobStore } from '../../packages/ports/src/blob-store/port.js';
import type { TestClock } from './helpers/clock.js';

export interface SignedResponse {
  readonly status: number;
  readonly body: Buffer;
}

export interface BlobStoreFixture {
  /** An empty store whose signing time is `clock`. */
  readonly store: BlobStore;
  readonly clock: TestClock;
  /** Uses a signed URL as a browser would: over HTTP (S3), or through the gateway's signature check (local). */
  openSignedUrl(url: string, request?: { method: 'PUT'; body: Buffer; contentType: string }): Promise<SignedResponse>;
  cleanup(): Promise<void>;
}

const readAll = async (stream: Readable): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
};

/** Changes one character of the URL's signature parameter, whatever the scheme calls it. */
const tamper = (url: string): string => {
  const parsed = new URL(url);
  const name = [...parsed.searchParams.keys()].find((key) => /signature/i.test(key));
  assert.ok(name, `no signature parameter in ${url}`);
  const signature = parsed.searchParams.get(name) ?? '';
  parsed.searchParams.set(name, `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
  return parsed.toString();
};

export interface BlobStoreContractOptions {
  /** False for a server that accepts any SigV4 signature (s3rver): the tampered-URL case is then not registered. */
  readonly verifiesSignatures?: boolean;
}

export const describeBlobStoreContract = (
  name: string,
  factory: () => Promise<BlobStoreFixture>,
  options: BlobStoreContractOptions = {},
): void => {
  describe(`BlobStore contract: ${name}`, () => {
    let fx: BlobStoreFixture;
    let store: BlobStore;
    beforeEach(async () => {
      fx = await factory();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('when an object is put from a buffer', () => {
      it('reads back the same bytes as a stream and as a buffer', async () => {
        // Prepare
        const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13]);
        // Act
        const head = await store.put('results/j1/s1/0001.png', bytes, { contentType: 'image/png' });
        // Assess
        assert.equal(head.size, bytes.length);
        assert.deepEqual(await store.getBuffer('results/j1/s1/0001.png'), bytes);
        assert.deepEqual(await readAll(await store.get('results/j1/s1/0001.png')), bytes);
      });

      it('keeps its content type and metadata, and reports them with its size in head', async () => {
        const put = await store.put('results/j1/meta.json', Buffer.from('{"a":1}'), {
          contentType: 'application/json',
          metadata: { 'job-id': 'j1', variant: '7' },
        });
        const head = await store.head('results/j1/meta.json');
        assert.ok(head);
        assert.deepEqual(head, put);
        assert.equal(head.key, 'results/j1/meta.json');
        assert.equal(head.size, 7);
        assert.equal(head.contentType, 'application/json');
        assert.deepEqual(head.metadata, { 'job-id': 'j1', variant: '7' });
        assert.ok(!Number.isNaN(Date.parse(head.lastModified)));
      });

      it('defaults the content type to application/octet-stream', async () => {
        await store.put('results/j1/raw', Buffer.from('raw'));
        assert.equal((await store.head('results/j1/raw'))?.contentType, 'application/octet-stream');
      });
    });

    describe('when a range of an object is read', () => {
      it('gets exactly bytes start to end (exclusive), and nothing for an empty range', async () => {
        // Prepare
        const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
        await store.put('sources/j1/dataset/d.zip', bytes);
        // Act
        const middle = await readAll(await store.get('sources/j1/dataset/d.zip', { start: 10, end: 110 }));
        const tail = await readAll(await store.get('sources/j1/dataset/d.zip', { start: 290, end: 300 }));
        const empty = await readAll(await store.get('sources/j1/dataset/d.zip', { start: 5, end: 5 }));
        // Assess
        assert.deepEqual(middle, bytes.subarray(10, 110));
        assert.deepEqual(tail, bytes.subarray(290, 300));
        assert.equal(empty.length, 0);
      });
    });

    describe('when an object is put from a stream', () => {
      it('stores the concatenated bytes', async () => {
        const parts = [Buffer.from('first,'), Buffer.alloc(70_000, 7), Buffer.from(',last')];
        const head = await store.put('results/j1/archive.zip', Readable.from(parts), {
          contentType: 'application/zip',
        });
        assert.equal(head.size, 70_011);
        assert.deepEqual(await store.getBuffer('results/j1/archive.zip'), Buffer.concat(parts));
      });
    });

    describe('when objects are put with deferSync', () => {
      it('reads them back at once, and sync of their keys resolves', async () => {
        // Prepare
        const keys = ['results/j1/s1/0000.jpg', 'results/j1/s1/0001.jpg', 'results/j1/s2/0000.jpg'];
        // Act
        for (const [i, key] of keys.entries()) await store.put(key, Buffer.from([i, 1, 2]), { deferSync: true });
        const read = await Promise.all(keys.map((key) => store.getBuffer(key)));
        await store.sync(keys);
        // Assess
        assert.deepEqual(read, [Buffer.from([0, 1, 2]), Buffer.from([1, 1, 2]), Buffer.from([2, 1, 2])]);
        assert.deepEqual(await store.list('results/j1/'), keys);
      });
    });

    describe('when an object is overwritten', () => {
      it('serves the new bytes and metadata', async () => {
        await store.put('results/j1/x.txt', Buffer.from('old'), { metadata: { v: '1' } });
        await store.put('results/j1/x.txt', Buffer.from('newer'), { metadata: { v: '2' } });
        assert.equal((await store.getBuffer('results/j1/x.txt')).toString(), 'newer');
        assert.deepEqual((await store.head('results/j1/x.txt'))?.metadata, { v: '2' });
      });
    });

    describe('when a key does not exist', () => {
      it('get and getBuffer throw NotFoundError, head returns undefined', async () => {
        await assert.rejects(store.get('results/none'), NotFoundError);
        await assert.rejects(store.getBuffer('results/none'), NotFoundError);
        assert.equal(await store.head('results/none'), undefined);
      });
    });

    describe('when an object is deleted', () => {
      it('is gone from head, get and list, and deleting it again succeeds', async () => {
        await store.put('results/j1/gone', Buffer.from('x'));
        await store.delete('results/j1/gone');
        await store.delete('results/j1/gone');
        assert.equal(await store.head('results/j1/gone'), undefined);
        await assert.rejects(store.getBuffer('results/j1/gone'), NotFoundError);
        assert.deepEqual(await store.list('results/j1/'), []);
      });
    });

    describe('when objects are listed by prefix', () => {
      it('returns every key under the prefix, sorted, and no other', async () => {
        // Prepare
        const keys = [
          'results/j1/b/c.jpg',
          'results/j1/a.jpg',
          'results/j10/a.jpg',
          'results/j2/a.jpg',
          'sources/j1/s/x y.jpg',
        ];
        for (const key of keys) await store.put(key, Buffer.from(key));
        // Act
        const j1 = await store.list('results/j1/');
        const j1Partial = await store.list('results/j1');
        const sources = await store.list('sources/');
        const everything = await store.list('');
        // Assess
        assert.deepEqual(j1, ['results/j1/a.jpg', 'results/j1/b/c.jpg']);
        assert.deepEqual(j1Partial, ['results/j1/a.jpg', 'results/j1/b/c.jpg', 'results/j10/a.jpg']);
        assert.deepEqual(sources, ['sources/j1/s/x y.jpg']);
        assert.deepEqual(everything, [...keys].sort());
      });
    });

    describe('when a key is not a safe relative path', () => {
      for (const key of ['../escape', '/absolute', 'a//b', 'a/./b', '']) {
        it(`rejects ${JSON.stringify(key)} with INVALID_KEY`, async () => {
          await assert.rejects(store.put(key, Buffer.from('x')), { code: 'INVALID_KEY' });
        });
      }
    });

    describe('when a signed GET URL is opened', () => {
      it('serves the object', async () => {
        await store.put('results/j1/s1/0000.jpg', Buffer.from('jpeg bytes'), { contentType: 'image/jpeg' });
        const url = await store.signedUrl('results/j1/s1/0000.jpg', 'GET', 60);
        const response = await fx.openSignedUrl(url);
        assert.equal(response.status, 200);
        assert.equal(response.body.toString(), 'jpeg bytes');
      });

      it('serves a key with spaces, plus, percent and non-ASCII characters', async () => {
        const key = 'sources/j/s/a b+c%ü.jpg';
        await store.put(key, Buffer.from('odd name'));
        const response = await fx.openSignedUrl(await store.signedUrl(key, 'GET', 60));
        assert.equal(response.status, 200);
        assert.equal(response.body.toString(), 'odd name');
      });

      if (options.verifiesSignatures !== false) {
        it('refuses it when its signature was altered', async () => {
          await store.put('results/j1/secret', Buffer.from('secret'));
          const url = await store.signedUrl('results/j1/secret', 'GET', 60);
          const response = await fx.openSignedUrl(tamper(url));
          assert.equal(response.status, 403);
        });
      }

      it('refuses it once it has expired', async () => {
        await store.put('results/j1/old', Buffer.from('old'));
        fx.clock.advanceSeconds(-600);
        const url = await store.signedUrl('results/j1/old', 'GET', 60);
        fx.clock.advanceSeconds(600);
        const response = await fx.openSignedUrl(url);
        assert.equal(response.status, 403);
      });
    });

    describe('when a signed PUT URL is used', () => {
      it('stores the uploaded bytes under the key with the signed content type', async () => {
        const url = await store.signedUrl('sources/j2/s1/cat.png', 'PUT', 60, 'image/png');
        const response = await fx.openSignedUrl(url, {
          method: 'PUT',
          body: Buffer.from('png!'),
          contentType: 'image/png',
        });
        assert.equal(response.status, 200);
        assert.equal((await store.getBuffer('sources/j2/s1/cat.png')).toString(), 'png!');
        assert.equal((await store.head('sources/j2/s1/cat.png'))?.contentType, 'image/png');
      });
    });

    describe('when the store is pinged', () => {
      it('answers true', async () => {
        assert.equal(await store.ping(), true);
      });
    });
  });
};
