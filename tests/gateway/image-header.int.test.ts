import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerDimensions, sniffType } from '@delta-augment/datasets';
import sharp from 'sharp';
import { sharedImage } from '../helpers/images.js';

const base = () => sharp({ create: { width: 37, height: 23, channels: 3, background: '#3a6' } });

/** What libvips reports as the display size (EXIF orientation applied). */
const sharpSize = async (data: Buffer) => {
  const meta = await sharp(data).metadata();
  return { width: meta.autoOrient?.width ?? meta.width, height: meta.autoOrient?.height ?? meta.height };
};

describe('reading image dimensions from the header alone', () => {
  const cases: [string, () => Promise<Buffer>][] = [
    ['a baseline JPEG', () => base().jpeg().toBuffer()],
    ['a progressive JPEG', () => base().jpeg({ progressive: true }).toBuffer()],
    ['a JPEG with EXIF orientation 6 (rotated)', () => base().jpeg().withMetadata({ orientation: 6 }).toBuffer()],
    ['a JPEG with EXIF orientation 3', () => base().jpeg().withMetadata({ orientation: 3 }).toBuffer()],
    ['a camera-style sample JPEG', async () => sharedImage('ladybird.jpg')],
    ['a PNG', () => base().png().toBuffer()],
    ['a palette PNG', () => base().png({ palette: true }).toBuffer()],
    ['a GIF', () => base().gif().toBuffer()],
    ['a lossy WebP', () => base().webp().toBuffer()],
    ['a lossless WebP', () => base().webp({ lossless: true }).toBuffer()],
    ['a WebP with alpha (VP8X)', () => base().ensureAlpha(0.5).webp().toBuffer()],
  ];
  for (const [what, make] of cases) {
    it(`agrees with libvips for ${what}`, async () => {
      // Prepare
      const data = await make();
      const type = sniffType(data);
      assert.ok(type);
      // Act
      const found = headerDimensions(data, type);
      // Assess
      assert.deepEqual(found, await sharpSize(data));
    });
  }

  it('reads the claimed size of a crafted 65535x65535 JPEG header without decoding it', async () => {
    const jpeg = await base().jpeg().toBuffer();
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    jpeg.writeUInt16BE(65_535, sof + 5);
    jpeg.writeUInt16BE(65_535, sof + 7);
    assert.deepEqual(headerDimensions(jpeg, 'jpeg'), { width: 65_535, height: 65_535 });
  });

  it('gives up on a truncated header instead of guessing', async () => {
    const jpeg = await base().jpeg().toBuffer();
    assert.equal(headerDimensions(jpeg.subarray(0, 30), 'jpeg'), undefined);
    assert.equal(headerDimensions(Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'png'), undefined);
  });

  it('leaves TIFF to the decoder', async () => {
    const tiff = await base().tiff().toBuffer();
    assert.equal(headerDimensions(tiff, 'tiff'), undefined);
  });
});
