import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { multipartBody, type TestApp, testApp } from '../helpers/app.js';
import { gradientJpeg } from '../helpers/images.js';
import { readUntilClose, startRawUpload } from '../helpers/raw-upload.js';
import { makeZip } from './fixtures.js';

/** POSTs a body over a real socket and resolves with the status and body, or with `closed` if the server hung up. */
const post = (port: number, payload: Buffer, headers: Record<string, string>) =>
  new Promise<{ status?: number; body: string; closed?: string }>((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/jobs',
        headers: { ...headers, 'content-length': payload.length },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode, body }));
        res.on('error', (error) => resolve({ body, closed: error.message }));
      },
    );
    req.on('error', (error) => resolve({ body: '', closed: error.message }));
    req.end(payload);
  });

describe('IDLE_TIMEOUT_SECONDS', () => {
  let t: TestApp;
  let port: number;
  before(async () => {
    t = await testApp({
      env: {
        IDLE_TIMEOUT_SECONDS: '1',
        REQUEST_TIMEOUT_SECONDS: '600',
        MAX_FILES_PER_JOB: '10000',
        MAX_REQUEST_BYTES: String(200 * 1024 * 1024),
        MAX_FILE_BYTES: String(100 * 1024 * 1024),
      },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as { port: number }).port;
  });
  after(() => t.close());

  it('does not cut off a client that has sent its whole dataset zip while the server checks and stores it', async () => {
    // Prepare: a class-folder zip of 3,000 images, whose check and storage take longer than the 1 s idle limit
    const image = await gradientJpeg(32, 24);
    const zip = await makeZip(
      Array.from({ length: 3000 }, (_, i) => ({ name: `dataset/class_${i % 5}/img_${i}.jpg`, data: image })),
    );
    const form = multipartBody([{ name: 'dataset.zip', data: zip, type: 'application/zip' }], { variants: '1' });
    const started = Date.now();
    // Act
    const answer = await post(port, form.payload, form.headers);
    // Assess
    const seconds = (Date.now() - started) / 1000;
    assert.equal(answer.closed, undefined, `the socket was closed without an answer after ${seconds}s`);
    assert.equal(answer.status, 202, answer.body.slice(0, 200));
    assert.equal(JSON.parse(answer.body).progress.total, 3000);
    // The server worked past the idle limit (else this test would prove nothing: make the zip bigger)
    assert.ok(seconds > 1, `answered in ${seconds}s, within the idle limit`);
  });

  it('still cuts off a client that goes silent halfway through its body', async () => {
    // Prepare: an upload that promises 1000 bytes, sends 100 and then nothing
    const socket = await startRawUpload(port);
    socket.write('a'.repeat(100));
    const started = Date.now();
    // Act
    const answer = await readUntilClose(socket);
    // Assess: closed by the idle timer, long before REQUEST_TIMEOUT_SECONDS (600 s)
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 60, `held for ${seconds}s`);
    assert.ok(answer === '' || /^HTTP\/1\.1 408/.test(answer), answer.slice(0, 80));
  });
});
