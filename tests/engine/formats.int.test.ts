import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { resolvePipeline } from '@delta-augment/core';
import { type DecodedSource, decodeSource, renderVariant } from '@delta-augment/engine';
import sharp from 'sharp';
import { LIMITS, patternPixels, patternPng } from './helpers.js';

const pattern = () => sharp(patternPixels(), { raw: { width: 64, height: 48, channels: 3 } });
const render = (source: DecodedSource, spec: Record<string, unknown>) =>
  renderVariant(source, resolvePipeline({ spec: { steps: [{ op: 'rotate', angle: 10 }], ...spec }, seed: 3 }), 0);

describe('output formats', () => {
  let source: DecodedSource;
  before(async () => {
    source = await decodeSource(await patternPng(), LIMITS);
  });

  describe('when the spec names a format', () => {
    const cases = [
      ['jpeg', 'jpeg', 'jpg', 'image/jpeg'],
      ['png', 'png', 'png', 'image/png'],
      ['webp', 'webp', 'webp', 'image/webp'],
      ['avif', 'heif', 'avif', 'image/avif'],
    ] as const;
    for (const [format, detected, extension, contentType] of cases) {
      it(`writes ${format}`, async () => {
        const variant = await render(source, { format });
        assert.deepEqual([variant.format, variant.extension, variant.contentType], [format, extension, contentType]);
        const metadata = await sharp(variant.data).metadata();
        assert.deepEqual([metadata.format, metadata.width, metadata.height], [detected, 64, 48]);
      });
    }
  });

  describe('when the spec names no format', () => {
    const cases: [string, () => Promise<Buffer>, string][] = [
      ['JPEG', () => pattern().jpeg().toBuffer(), 'jpeg'],
      ['WebP', () => pattern().webp().toBuffer(), 'webp'],
      ['AVIF', () => pattern().avif().toBuffer(), 'avif'],
      ['TIFF', () => pattern().tiff().toBuffer(), 'png'],
      ['GIF', () => pattern().gif().toBuffer(), 'png'],
    ];
    for (const [name, make, expected] of cases) {
      it(`writes ${expected} for a ${name} input`, async () => {
        const variant = await render(await decodeSource(await make(), LIMITS), {});
        assert.equal(variant.format, expected);
      });
    }
  });

  describe('when a quality is given', () => {
    it('writes smaller JPEGs at lower quality', async () => {
      const low = await render(source, { format: 'jpeg', quality: 10 });
      const high = await render(source, { format: 'jpeg', quality: 95 });
      assert.ok(low.data.length < high.data.length, `${low.data.length} vs ${high.data.length}`);
    });
  });

  describe('when an image with alpha is written as JPEG', () => {
    it('flattens it onto white', async () => {
      const withAlpha = await decodeSource(
        await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
          .png()
          .toBuffer(),
        LIMITS,
      );
      const variant = await renderVariant(
        withAlpha,
        resolvePipeline({ spec: { format: 'jpeg', steps: [] }, seed: 1 }),
        0,
      );
      const { data, info } = await sharp(variant.data).raw().toBuffer({ resolveWithObject: true });
      assert.equal(info.channels, 3);
      assert.ok((data[0] ?? 0) > 250);
    });
  });
});
