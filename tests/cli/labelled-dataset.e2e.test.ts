import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeYoloLabels } from '@delta-augment/core';
import sharp from 'sharp';
import { verifyWebhook } from '../../packages/gateway/src/webhooks/signature.js';
import { runCli } from '../helpers/cli.js';
import { type RunningServer, startServer, tempDir, waitFor } from '../helpers/server.js';
import { photoItems } from '../labels/photo-dataset.js';

/** A YOLO dataset folder as Ultralytics lays it out: data.yaml, images/, labels/ (two boxes per photo). */
const yoloFolder = async (count: number): Promise<string> => {
  const root = tempDir('delta-cli-yolo-');
  mkdirSync(join(root, 'images'));
  mkdirSync(join(root, 'labels'));
  writeFileSync(join(root, 'data.yaml'), 'names:\n  - magenta\n  - cyan\n');
  for (const item of await photoItems(count)) {
    writeFileSync(join(root, 'images', item.name), item.png);
    writeFileSync(join(root, 'labels', item.name.replace(/\.png$/, '.txt')), writeYoloLabels(item.labels, 'detect', 0));
  }
  return root;
};

interface Coco {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { image_id: number; category_id: number; bbox: [number, number, number, number] }[];
  categories: { id: number; name: string }[];
}

describe('delta-augment augment with a labelled dataset folder', () => {
  let server: RunningServer;
  const deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.end();
    });
  });
  before(async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    server = await startServer({ env: { WORKER_PROCESSES: '1', WEBHOOK_ALLOW_HOSTS: '127.0.0.1' } });
  });
  after(async () => {
    await server.stop();
    await new Promise((resolve) => receiver.close(resolve));
  });

  it('turns a YOLO folder into an extracted COCO dataset split into train and valid, with its labels', async () => {
    // Prepare
    const input = await yoloFolder(6);
    const out = join(tempDir('delta-cli-out-'), 'coco');
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/done`;
    // Act
    const run = runCli([
      'augment',
      input,
      '--url',
      server.url,
      '--variants',
      '2',
      '--seed',
      '11',
      '--export',
      'coco',
      '--split',
      '50,50,0',
      '--webhook',
      hook,
      '--out',
      out,
      '--json',
    ]);
    // Assess
    assert.equal(await run.exited, 0, run.stderr());
    const scanned = run.lines.find((l) => l.type === 'scanned');
    assert.deepEqual([scanned?.mode, scanned?.images, scanned?.labels], ['dataset', 6, 7]);
    assert.deepEqual(readdirSync(out).sort(), ['manifest.json', 'train', 'valid']);
    let images = 0;
    for (const split of ['train', 'valid']) {
      const coco = JSON.parse(readFileSync(join(out, split, '_annotations.coco.json'), 'utf8')) as Coco;
      assert.deepEqual(coco.categories.map((c) => c.name).sort(), ['cyan', 'magenta']);
      const files = readdirSync(join(out, split)).filter((f) => !f.endsWith('.json'));
      assert.deepEqual(coco.images.map((i) => i.file_name).sort(), files.sort(), `${split}: every image is listed`);
      assert.ok(coco.annotations.length >= coco.images.length, `${split}: the boxes came along`);
      for (const image of coco.images) {
        const meta = await sharp(join(out, split, image.file_name)).metadata();
        assert.deepEqual([meta.width, meta.height], [image.width, image.height], image.file_name);
      }
      for (const { bbox, image_id } of coco.annotations) {
        const image = coco.images.find((i) => i.id === image_id);
        assert.ok(image, 'each annotation names an image');
        assert.ok(bbox[0] >= 0 && bbox[1] >= 0 && bbox[0] + bbox[2] <= image.width + 0.5, JSON.stringify(bbox));
        assert.ok(bbox[1] + bbox[3] <= image.height + 0.5, JSON.stringify(bbox));
      }
      images += coco.images.length;
    }
    assert.ok(images >= 6, `${images} images in the splits`);
    // The webhook's secret is printed once, and the delivery that follows the job verifies with it.
    const job = run.lines.find((l) => l.type === 'job');
    assert.match(String(job?.webhookSecret), /^whsec_/);
    const delivery = await waitFor(async () => deliveries[0], 30_000, 'the webhook delivery');
    const headers = {
      timestamp: String(delivery.headers['delta-timestamp']),
      signature: String(delivery.headers['delta-signature']),
    };
    assert.ok(verifyWebhook(String(job?.webhookSecret), headers, delivery.body, Math.floor(Date.now() / 1000)));
    assert.equal((JSON.parse(delivery.body) as { job: { id: string } }).job.id, job?.jobId);
  });

  it('exits 2 naming the file and line of a malformed label', async () => {
    // Prepare
    const input = await yoloFolder(2);
    const [first] = readdirSync(join(input, 'labels'));
    writeFileSync(join(input, 'labels', first as string), '0 0.5 0.5 banana 0.2\n');
    // Act
    const run = runCli([
      'augment',
      input,
      '--url',
      server.url,
      '--out',
      join(tempDir('delta-cli-out-'), 'x'),
      '--json',
    ]);
    // Assess
    assert.equal(await run.exited, 2, run.stderr());
    assert.match(String(run.lines.at(-1)?.message), new RegExp(`${first}.*line 1|line 1.*${first}`));
  });
});
