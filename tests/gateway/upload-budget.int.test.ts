import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestApp, testApp } from '../helpers/app.js';
import { noiseJpeg } from '../helpers/images.js';
import { pacedPut, readUntilClose, startRawUpload } from '../helpers/raw-upload.js';
import { waitFor } from '../helpers/server.js';

/** The JSON body of a raw HTTP answer. */
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));

describe('the time budget of a signed upload', () => {
  let t: TestApp;
  let port: number;
  let image: Buffer;
  before(async () => {
    // Two seconds for any request, plus one second per KiB received for a signed upload.
    t = await testApp({
      env: { REQUEST_TIMEOUT_SECONDS: '2', MIN_UPLOAD_BYTES_PER_SECOND: '1024', IDLE_TIMEOUT_SECONDS: '30' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
    image = await noiseJpeg(300, 200); // about 50 KB
  });
  after(() => t.close());

  /** A job waiting for one image of `bytes`, and the path of its signed PUT. */
  const signedPath = async (bytes: number) => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { files: [{ name: 'slow.jpg', bytes }], variants: 1 },
    });
    const job = created.json();
    const url = new URL(job.uploads[0].url);
    return { id: job.id as string, path: `${url.pathname}${url.search}`, sourceId: job.uploads[0].sourceId as string };
  };

  it('lets an upload that keeps above MIN_UPLOAD_BYTES_PER_SECOND take longer than REQUEST_TIMEOUT_SECONDS', async () => {
    // Prepare: about 50 KB at 10 KB/s (ten times the floor): five seconds, over twice REQUEST_TIMEOUT_SECONDS
    assert.ok(image.length > 40_000, `the image is only ${image.length} bytes`);
    const { path } = await signedPath(image.length);
    // Act
    const { answer, seconds } = await pacedPut(port, path, image, 10_000);
    // Assess
    assert.match(answer, /^HTTP\/1\.1 200/, answer.slice(0, 300));
    assert.equal(bodyOf(answer).bytes, image.length);
    assert.ok(seconds > 2, `it took only ${seconds} s: the test shows nothing`);
  });

  it('answers 408 naming the limits to an upload that trickles below the rate, and stores nothing', async () => {
    // Prepare: 100 bytes a second, a tenth of the floor (the whole image would take 400 s)
    const { id, path, sourceId } = await signedPath(image.length);
    // Act
    const { answer, seconds } = await pacedPut(port, path, image, 100);
    // Assess
    assert.match(answer, /^HTTP\/1\.1 408/, answer.slice(0, 300));
    const { error } = bodyOf(answer);
    assert.equal(error.code, 'REQUEST_TIMEOUT');
    assert.match(error.message, /MIN_UPLOAD_BYTES_PER_SECOND \(1024\)/);
    assert.match(error.message, /REQUEST_TIMEOUT_SECONDS \(2\)/);
    assert.ok(seconds < 25, `held for ${seconds} s`);
    const source = (await t.app.inject(`/api/jobs/${id}/sources`)).json().items[0];
    assert.equal(source.sourceId, sourceId);
    assert.equal(source.status, 'pending', 'nothing was stored');
    // The URL is still usable: the whole image at full speed is stored (once the cut-off upload has let go of it)
    const retry = await waitFor(
      async () => {
        const { answer: again } = await pacedPut(port, path, image, 1_000_000);
        assert.match(again, /^HTTP\/1\.1 (200|409)/, again.slice(0, 300));
        return again.startsWith('HTTP/1.1 200') ? again : undefined;
      },
      10_000,
      'the retried upload',
    );
    assert.equal(bodyOf(retry).bytes, image.length);
  });

  it('still holds any other request to REQUEST_TIMEOUT_SECONDS, naming it', async () => {
    // Prepare: a multipart upload that sends a byte every 200 ms (never idle, never done)
    const socket = await startRawUpload(port);
    const trickle = setInterval(() => socket.write('a'), 200);
    // Act
    const answer = await readUntilClose(socket);
    clearInterval(trickle);
    // Assess
    assert.match(answer, /^HTTP\/1\.1 408/, answer.slice(0, 300));
    assert.match(bodyOf(answer).error.message, /REQUEST_TIMEOUT_SECONDS \(2\)/);
  });
});
