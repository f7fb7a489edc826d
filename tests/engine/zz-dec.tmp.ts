import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { pixelsOf } from '../../packages/augmenter/src/engine/decode.js';
import { decodeSource, renderVariant, resolvePipeline } from '../../packages/augmenter/src/engine/index.js';

const L = { maxPixels: 40e6, maxInputBytes: 50e6 };
const base = () => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } });
const cases: [string, () => Promise<Buffer>][] = [
  [
    'png alpha',
    () =>
      sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.5 } } })
        .png()
        .toBuffer(),
  ],
  ['webp', () => base().webp().toBuffer()],
  ['tiff', () => base().tiff().toBuffer()],
  ['avif', () => base().avif().toBuffer()],
  ['gif', () => base().gif().toBuffer()],
  ['grey png', () => base().greyscale().png().toBuffer()],
  [
    'grey+alpha png',
    () =>
      sharp({ create: { width: 64, height: 48, channels: 4, background: { r: 9, g: 9, b: 9, alpha: 0.5 } } })
        .greyscale()
        .png()
        .toBuffer(),
  ],
  ['16-bit png', () => base().toColourspace('rgb16').png().toBuffer()],
  ['cmyk jpeg', () => base().toColourspace('cmyk').jpeg().toBuffer()],
  ['exif 6', () => base().jpeg().withMetadata({ orientation: 6 }).toBuffer()],
  [
    'animated gif',
    async () =>
      sharp(
        [
          await base().png().toBuffer(),
          await sharp({ create: { width: 64, height: 48, channels: 3, background: '#00ff00' } })
            .png()
            .toBuffer(),
        ],
        { join: { animated: true } },
      )
        .gif()
        .toBuffer(),
  ],
  ['garbage', async () => Buffer.from('hello this is not an image at all')],
  [
    'svg',
    async () =>
      Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
      ),
  ],
  [
    'truncated jpeg',
    async () => {
      const b = readFileSync('/work/shared/images/dune.jpg');
      return b.subarray(0, b.length / 2);
    },
  ],
  [
    'truncated png',
    async () => {
      const b = await sharp(readFileSync('/work/shared/images/dune.jpg')).png().toBuffer();
      return b.subarray(0, b.length / 2);
    },
  ],
  ['empty', async () => Buffer.alloc(0)],
];
for (const [name, make] of cases) {
  try {
    const input = await make();
    const meta = await sharp(input)
      .metadata()
      .catch(() => undefined);
    const s = await decodeSource(input, L);
    const px = pixelsOf(s);
    const v = await renderVariant(s, resolvePipeline({ seed: 1 }), 0);
    console.log(
      name.padEnd(16),
      meta?.format,
      meta?.channels,
      meta?.space,
      meta?.depth,
      meta?.orientation,
      meta?.pages,
      '→',
      s.width,
      s.height,
      s.format,
      s.hasAlpha,
      px.channels,
      'px0',
      [...px.data.subarray(0, px.channels)],
      '→',
      v.format,
      v.width,
      v.height,
    );
  } catch (e) {
    console.log(name.padEnd(16), 'ERR', (e as Error).name, (e as Error).message);
  }
}
try {
  await decodeSource(readFileSync('/work/shared/images/dune.jpg'), { maxPixels: 1000, maxInputBytes: 1e9 });
} catch (e) {
  console.log((e as Error).message);
}
try {
  await decodeSource(readFileSync('/work/shared/images/dune.jpg'), { maxPixels: 1e9, maxInputBytes: 1000 });
} catch (e) {
  console.log((e as Error).message);
}
