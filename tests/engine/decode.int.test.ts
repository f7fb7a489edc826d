import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { PermanentError, resolvePipeline } from '@delta-augment/core';
import { decodeSource, renderVariant, thumbnail } from '@delta-augment/engine';
import sharp from 'sharp';
import { LIMITS, patternPixels, patternPng, rawOf, sharedImage } from './helpers.js';

const solid = (width: number, height: number, background: string) =>
  sharp({ create: { width, height, channels: 3, background } });

const pattern = () => sharp(patternPixels(), { raw: { width: 64, height: 48, channels: 3 } });

/** Asserts decodeSource rejects `input` with a PermanentError whose message matches `reason`. */
async function rejectsWith(input: Buffer, reason: RegExp, limits = LIMITS): Promise<void> {
  await assert.rejects(decodeSource(input, limits), (error: unknown) => {
    assert.ok(error instanceof PermanentError, `expected a PermanentError, got ${String(error)}`);
    assert.equal(error.code, 'PERMANENT');
    assert.match(error.message, reason);
    return true;
  });
}

describe('decoding a source', () => {
  describe('when the input is a supported format', () => {
    const cases: [string, () => Promise<Buffer>, string][] = [
      ['JPEG', () => pattern().jpeg().toBuffer(), 'jpeg'],
      ['PNG', () => patternPng(), 'png'],
      ['WebP', () => pattern().webp().toBuffer(), 'webp'],
      ['TIFF', () => pattern().tiff().toBuffer(), 'tiff'],
      ['AVIF', () => pattern().avif().toBuffer(), 'heif'],
      ['GIF', () => pattern().gif().toBuffer(), 'gif'],
    ];
    for (const [name, make, format] of cases) {
      it(`decodes ${name} to its size and format`, async () => {
        const source = await decodeSource(await make(), LIMITS);
        assert.deepEqual([source.width, source.height, source.format], [64, 48, format]);
        assert.match(source.digest, /^[0-9a-f]{64}$/);
      });
    }
  });

  describe('when a PNG has an alpha channel', () => {
    it('keeps the alpha through to a PNG variant', async () => {
      const source = await decodeSource(await patternPng(64, 48, 4), LIMITS);
      assert.equal(source.hasAlpha, true);
      const variant = await renderVariant(source, resolvePipeline({ spec: { steps: [] }, seed: 1 }), 0);
      const pixels = await rawOf(variant.data);
      assert.equal(pixels.channels, 4);
      assert.equal(pixels.data[(10 * 64 + 50) * 4 + 3], 128);
    });
  });

  describe('when the image is greyscale, 16-bit or CMYK', () => {
    it('converts greyscale to RGB with equal channels', async () => {
      const grey = await pattern().toColourspace('b-w').png().toBuffer();
      assert.equal((await sharp(grey).metadata()).channels, 1);
      const variant = await renderVariant(
        await decodeSource(grey, LIMITS),
        resolvePipeline({ seed: 1, spec: { steps: [] } }),
        0,
      );
      const pixels = await rawOf(variant.data);
      assert.equal(pixels.data[30], pixels.data[31]);
      assert.equal(pixels.data[31], pixels.data[32]);
    });

    it('reduces 16-bit to 8-bit with the same colours', async () => {
      const deep = await solid(32, 16, '#c81e1e').toColourspace('rgb16').png().toBuffer();
      assert.equal((await sharp(deep).metadata()).depth, 'ushort');
      const variant = await renderVariant(
        await decodeSource(deep, LIMITS),
        resolvePipeline({ seed: 1, spec: { steps: [] } }),
        0,
      );
      const pixels = await rawOf(variant.data);
      assert.deepEqual([...pixels.data.subarray(0, 3)], [200, 30, 30]);
    });

    it('converts CMYK to sRGB', async () => {
      const cmyk = await solid(32, 16, '#ffffff').toColourspace('cmyk').jpeg().toBuffer();
      assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
      const source = await decodeSource(cmyk, LIMITS);
      const variant = await renderVariant(source, resolvePipeline({ seed: 1, spec: { format: 'png', steps: [] } }), 0);
      const pixels = await rawOf(variant.data);
      assert.equal(pixels.channels, 3);
      assert.ok(
        [...pixels.data.subarray(0, 3)].every((v) => v > 240),
        'white stays white',
      );
    });
  });

  describe('when the image carries an EXIF orientation', () => {
    it('applies it (orientation 6 turns 64×48 into 48×64)', async () => {
      const rotated = await pattern().jpeg().withMetadata({ orientation: 6 }).toBuffer();
      assert.equal((await sharp(rotated).metadata()).orientation, 6);
      const source = await decodeSource(rotated, LIMITS);
      assert.deepEqual([source.width, source.height], [48, 64]);
    });
  });

  describe('when a GIF is animated', () => {
    it('takes the first frame', async () => {
      const red = await solid(32, 16, '#ff0000').png().toBuffer();
      const green = await solid(32, 16, '#00ff00').png().toBuffer();
      const gif = await sharp([red, green], { join: { animated: true } })
        .gif()
        .toBuffer();
      assert.equal((await sharp(gif).metadata()).pages, 2);
      const source = await decodeSource(gif, LIMITS);
      assert.deepEqual([source.width, source.height], [32, 16]);
      const variant = await renderVariant(source, resolvePipeline({ seed: 1, spec: { steps: [] } }), 0);
      const pixels = await rawOf(variant.data);
      assert.deepEqual([pixels.data[0], pixels.data[1]], [255, 0]);
    });
  });

  describe('when the input breaks a limit', () => {
    it('names the pixel limit', async () => {
      const photo = readFileSync(sharedImage('dune.jpg'));
      await rejectsWith(photo, /^image is 799617 pixels; the limit \(MAX_PIXELS\) is 500000$/, {
        maxPixels: 500_000,
        maxInputBytes: LIMITS.maxInputBytes,
      });
    });

    it('names the byte limit', async () => {
      const png = await patternPng();
      await rejectsWith(png, /the limit \(MAX_INPUT_BYTES\) is 100$/, {
        maxPixels: LIMITS.maxPixels,
        maxInputBytes: 100,
      });
    });
  });

  describe('when the input is not a usable image', () => {
    it('rejects an empty file', async () => {
      await rejectsWith(Buffer.alloc(0), /empty/);
    });

    it('rejects bytes that are not an image', async () => {
      await rejectsWith(Buffer.from('just some text, not a picture'), /not a readable image/);
    });

    it('rejects a truncated JPEG', async () => {
      const jpeg = readFileSync(sharedImage('dune.jpg'));
      await rejectsWith(jpeg.subarray(0, jpeg.length >> 1), /could not be decoded/);
    });

    it('rejects a truncated PNG', async () => {
      const png = await sharp(readFileSync(sharedImage('dune.jpg')))
        .png()
        .toBuffer();
      await rejectsWith(png.subarray(0, png.length >> 1), /could not be decoded/);
    });

    it('rejects a JPEG with corrupt entropy data', async () => {
      const jpeg = Buffer.from(readFileSync(sharedImage('storm.jpg')));
      for (let i = 2000; i < jpeg.length - 2000; i += 97) jpeg[i] = 0xff;
      await rejectsWith(jpeg, /could not be decoded|not a readable image/);
    });

    it('rejects SVG, which it does not render', async () => {
      const svg = Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
      );
      await rejectsWith(svg, /unsupported image format 'svg'/);
    });
  });
});

describe('thumbnails', () => {
  describe('when a source is larger than the thumbnail size', () => {
    it('writes a WebP whose longest side is the size', async () => {
      const source = await decodeSource(readFileSync(sharedImage('dune.jpg')), LIMITS);
      const preview = await thumbnail(source);
      const metadata = await sharp(preview).metadata();
      assert.equal(metadata.format, 'webp');
      assert.equal(Math.max(metadata.width ?? 0, metadata.height ?? 0), 256);
    });
  });

  describe('when a source is smaller than the size', () => {
    it('does not enlarge it', async () => {
      const source = await decodeSource(await patternPng(), LIMITS);
      const metadata = await sharp(await thumbnail(source, 128)).metadata();
      assert.deepEqual([metadata.width, metadata.height], [64, 48]);
    });
  });
});
