import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import {
  type DecodedSource,
  decodeSource,
  PRESETS,
  renderVariant,
  resolvePipeline,
} from '../../packages/augmenter/src/engine/index.js';
import { LIMITS, patternPng, sha256, sharedImage } from './helpers.js';

// Pinned outputs for fixed seeds. They change only if the engine's drawing or rendering changes, or
// the sharp/libvips version (its encoders) does: then look at the new images and re-pin.

/** sha256 of variants 0–5 of the `heavy` preset (PNG out, seed 2024) on the generated 64×48 pattern. */
const GOLDEN_PATTERN_HEAVY = [
  'e7cae1703954a95133a1d44c263e4f63c13c7aa41bfa5aac1274e43b54ef2cf7',
  'd682d7b18fb9ba42096e8858557a7546490db57b14f7bad37feb93119d6a854c',
  '20ddca42e790de414baa437b2cd062bf1370f520f0b0d5572f2ee39a981c0d25',
  '2ebb319a84b4d7a19960563fc07e17991e0d4393725ca280ad9c7fec02d97f4a',
  '52c7110d3d149975795a6ed1a11588bac66a1cef673295353e122692018fc5cb',
  '90fb2172d2d8f793dc2130e6b049de7fe763d309b50b811285bfb028dc95bd0b',
];

/** sha256 of variants 0–3 of `delta-classic` (seed 7, JPEG out) on the shared photo ladybird.jpg. */
const GOLDEN_PHOTO_CLASSIC = [
  '6f9fc00b0753d030b3748fefdf1b06cf3dcfc9e3cdf795f2f59fefef46b6120d',
  'fe78b15eefa0a19f31a620ea826e6d09d117769fbae75fbb0fc0151273332743',
  '8109f120443ad6ffff8c1cc4aca5b1ddfd815281d1235446ffde5d975d1544c4',
  'bf5de626b368dbde6e6993d100dd93e442d1006a68b9a751c7e6dd21eb83cde0',
];

const heavyPng = resolvePipeline({ spec: { ...(PRESETS.heavy as object), format: 'png', seed: 2024 }, seed: 0 });
const classic = resolvePipeline({ preset: 'delta-classic', seed: 7 });

describe('seeded determinism', () => {
  let pattern: DecodedSource;
  let photo: DecodedSource;

  before(async () => {
    pattern = await decodeSource(await patternPng(), LIMITS);
    photo = await decodeSource(readFileSync(sharedImage('ladybird.jpg')), LIMITS);
  });

  describe('when the heavy preset renders the generated pattern with seed 2024', () => {
    it('gives the pinned bytes', async () => {
      const hashes: string[] = [];
      for (let i = 0; i < GOLDEN_PATTERN_HEAVY.length; i++) {
        hashes.push(sha256((await renderVariant(pattern, heavyPng, i)).data));
      }
      assert.deepEqual(hashes, GOLDEN_PATTERN_HEAVY);
    });
  });

  describe('when delta-classic renders a real photo with seed 7', () => {
    it('gives the pinned bytes', async () => {
      const hashes: string[] = [];
      for (let i = 0; i < GOLDEN_PHOTO_CLASSIC.length; i++) {
        hashes.push(sha256((await renderVariant(photo, classic, i)).data));
      }
      assert.deepEqual(hashes, GOLDEN_PHOTO_CLASSIC);
    });

    it('records the pinned operations for variant 0', async () => {
      const variant = await renderVariant(photo, classic, 0);
      assert.deepEqual(variant.operations, [
        { op: 'flip', params: { direction: 'horizontal' } },
        { op: 'zoom', params: { factor: 1.1382 } },
      ]);
      assert.deepEqual([variant.format, variant.extension, variant.contentType], ['jpeg', 'jpg', 'image/jpeg']);
    });
  });

  describe('when variants are rendered in another order, concurrently, from a second decode', () => {
    it('gives the same bytes as rendering them one by one', async () => {
      // Prepare: a second, independent decode of the same bytes, as another worker would make.
      const again = await decodeSource(await patternPng(), LIMITS);
      const indices = [5, 3, 0, 4, 1, 2];
      // Act
      const shuffled = await Promise.all(indices.map((i) => renderVariant(again, heavyPng, i)));
      // Assess
      for (const [k, i] of indices.entries())
        assert.equal(sha256(shuffled[k]?.data ?? Buffer.alloc(0)), GOLDEN_PATTERN_HEAVY[i]);
    });
  });

  describe('when the seed or the source changes', () => {
    it('gives different variants', async () => {
      const other = resolvePipeline({ preset: 'delta-classic', seed: 8 });
      const a = await renderVariant(photo, classic, 1);
      const b = await renderVariant(photo, other, 1);
      assert.notDeepEqual(a.operations, b.operations);
    });
  });
});
