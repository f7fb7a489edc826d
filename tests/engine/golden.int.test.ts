import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { OPERATION_NAMES, PRESETS, resolvePipeline } from '@delta-augment/core';
import { type DecodedSource, decodeSource, renderVariant } from '@delta-augment/engine';
import { LIMITS, patternPng, sha256, sharedImage } from './helpers.js';

// Pinned outputs for fixed seeds. They change only if the engine's drawing or rendering changes, or
// the sharp/libvips version (its encoders) does: then look at the new images and re-pin.

/** sha256 of variants 0–5 of the `heavy` preset (PNG out, seed 2024) on the generated 64×48 pattern. */
const GOLDEN_PATTERN_HEAVY = [
  'e7cae1703954a95133a1d44c263e4f63c13c7aa41bfa5aac1274e43b54ef2cf7',
  'd682d7b18fb9ba42096e8858557a7546490db57b14f7bad37feb93119d6a854c',
  '20ddca42e790de414baa437b2cd062bf1370f520f0b0d5572f2ee39a981c0d25',
  'd136db9c0af26ba7e529120d160ff2e593b25206ff79c85e9a1f06fed621eb56',
  '4bbebf4ef1368e8cbd86f5146c012201de4a6b4f779b477e5d171737a289a2ce',
  '90fb2172d2d8f793dc2130e6b049de7fe763d309b50b811285bfb028dc95bd0b',
];

/** sha256 of variants 0–3 of `delta-classic` (seed 7, JPEG out) on the shared photo ladybird.jpg. */
const GOLDEN_PHOTO_CLASSIC = [
  '6f9fc00b0753d030b3748fefdf1b06cf3dcfc9e3cdf795f2f59fefef46b6120d',
  'fe78b15eefa0a19f31a620ea826e6d09d117769fbae75fbb0fc0151273332743',
  '8109f120443ad6ffff8c1cc4aca5b1ddfd815281d1235446ffde5d975d1544c4',
  'bf5de626b368dbde6e6993d100dd93e442d1006a68b9a751c7e6dd21eb83cde0',
];

/** sha256 of variant 0 of each operation alone (probability 1, defaults, seed 99, PNG out) on the pattern. */
const GOLDEN_EACH_OPERATION: Readonly<Record<string, string>> = {
  rotate: 'fed05be78bb914ac0eeaf543dfc79ae58997776b20fde54a4e67d259d30a5623',
  rotate90: '3813f0835e6e22e527850c9fba17c7d46caf7edf73a0c3814745bc6e80b1c693',
  rotate180: '7d7059bf78a5366d1eed63d49f1699d7530510678917a13ad9e1b2800181aba3',
  rotate270: 'dbb977b0f1cd6d1f403809c3c4a142ff2dacb16d7958d9b48036cdc6e55f2279',
  rotateRandom90: '7d7059bf78a5366d1eed63d49f1699d7530510678917a13ad9e1b2800181aba3',
  flip: 'c4d3202e4f8e7cd4d0b671b2870b9270dbc1cf4c200e47640123344853c57730',
  zoom: '09c623a8911c496e63789db3e1b33eb223225556ec1dcb94efeea9674f0054f3',
  crop: 'f910f2befa11295c9615732faf862881556bc1fc236f84f0e83c7726969a1470',
  resize: 'da1dcb17326148d29dde804a82f0c8761eb0030e7c5c83113c05caef799382a0',
  scale: '469018cc4ff9b3e2c2c59c007ebb706a978bffd5338b1dd487150dacf62bf47d',
  shear: '78e19803fa9b1ca2518b851598e332371e1f57323cebd1e4b160fec0659808f8',
  skew: 'f80a95edef6e6a151307686b1341665769a5e87dd40f4a0346ae1ab0ac81a718',
  gridDistort: '60fa01d1543b035750e464a16534bc51aabc449ef10262b7e4fd401d9561977f',
  elasticDistort: 'de27c616cb980a9df6f8b4fb166b950e18e2cb73fda7f2d96b0fdffc87c02a64',
  brightness: '66e1ecf78e5872286fd6687f6ad444c34e20b2153b53c938dc6844328b81e63c',
  contrast: '76d460e02a8fdb658fb6889bc2540695b5d36f6f2ff13066db65cc31a5b1e8ad',
  saturation: '1b52f591a0728c8ec0554166ce708a72aeb80c2d4e23335db8f7179c46ade9ae',
  hue: '3b1235fe583706a7a532bbbaeb940c15ade9c2386fc059391cb22319a4b53aa5',
  greyscale: '5510a548ce80b71fc7d69984d82dfea8e1b0919028e75055020f9bec5e05b263',
  invert: '95f237575d7db9a1386b14a5287af10fba48321fd8ef9836f36c7001911d15f4',
  threshold: '12a26c304d9bc1ab00db1a1cfc1c374f5b13f234f8f25ba736362b1fc7d565c8',
  equalise: '5620e883bb8f23b88e37af5ea8d24dc259ec99c3d3d2886b8ec359aca37b06d2',
  noise: '8ae137e2cc8d390aea5cd23d10545655cd83cb248294a52ef36bf9869d72b803',
  blur: 'ab1d8b2c2a17908e39a290c076a58f18f4990f38f21c2b83fdf4acf6f3bbf438',
  sharpen: '5c740917eaa165c185ed8db3c1c63ca7e74313467a421f0d9e006a01c5fdbd8c',
  jpeg: '09f806c8b9213d8eebac7f501a8f7115efdb6dd70926eafb01bb80731080aa6f',
  erase: 'f8abda3bdcd618564a66d6d6bdcd2f5529c3abcfe6fb843fb1a5e2e0877a3c90',
  colourJitter: 'd5f03721d5f5746bcb7a5234829c8054dc6ba892b0a1fafb20facefbef5cff20',
  gamma: '45666cc7a4f37c72b6dff55f8bf4cf8bdbdd52f72bba1a659fed2b36773c45ca',
  clahe: '27ac4f3b52adc045012a0cc1dd694a1abb858c4061ba002d39e2a47e2031ba34',
  rgbShift: 'c9130047a842aefa0eb00ff902a699f2025c8181c14b307585a2c418cdc39af1',
  channelShuffle: '7ffde37fc425199e9d56fa0721eefb40f491404e5a1d69f221efced235650e7a',
  posterize: '56c2420561e0b5734c9f3b79f54c1aea04736afd145f0948607059e41407c189',
  solarize: '75a82bb4a54f64a1ee9bc6b2310b71ad003a67451a711f0744d06b33fbc117f3',
  motionBlur: 'b21d34d939e8e4a2dc8f2bfd9cb8227a791a822d26c70cce24cfbf7d6b0ac3a6',
  medianBlur: '3a9ec93ec897d8be362a409214c6267fa7c8b1bd1aecb7a18dca981c4e7a1749',
  isoNoise: '26ad2d434f7c7795737837257e03b4d618a715d69e5283d13ece194adfe25646',
  downscale: '0f774ed69a86eac4cd3b8b52d09dd1198182b9f6981de7624ed133ee2ea2fe86',
  coarseDropout: '76ab6e6b7e0b33bce30ae9d6d82a7e6a1222a2fe2c953e277e28b0d122c3926c',
  gridDropout: '3f9bd4f7dab09bfc8138c794070fcfa98f51af36baa7bbcc07dde52b59feee1e',
  fog: 'e498e225295c41130acb2e0b07632f4d0c39cb6781e269f4057aa91fd5b945e6',
  rain: '3f3d3861d6df684e544ec26771add96c5d95d7b48b101c09a25500773afbccde',
  snow: '508ffff2a650712bf519029454c05cdf169399a32bb1557a7e042e919f581dc3',
  sunFlare: 'a7711b68fd2125645cb03b54e661ddde1559f8ac1262f8877697371a2362a8c3',
  shadow: 'ba94bad958e83ba2833d90cc02b9d378420138bacd77f1b65972f73105786073',
  bboxSafeCrop: 'b901b786478fce966868e8195d480080b6339d2fd1d7c0db007297067ca2fbcb',
  randomResizedCrop: 'baef4f1e17c441293ddaa1f5559dff0c52f6b69d88372944c0b6840bc502fd40',
  objectCutout: '8e37c374f37445811a835679f089a1bb4994b1a669d0fcf0689e2be29362c624',
  mosaic: '89e378ad4653529b59404697036a6fa17055aad97d40dcc85259d36198f84fc2',
  // Added with the operation: without labels copyPaste has nothing to paste (the untouched image's bytes).
  copyPaste: '2d1eac260a1aecbb3e894cedbb734726477b7b04a202ea81c883a897adb10d22',
};

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

  describe('when each operation runs alone with seed 99', () => {
    it('gives the pinned bytes for every operation', async () => {
      const hashes: Record<string, string> = {};
      for (const op of OPERATION_NAMES) {
        const step = op === 'resize' ? { op, width: 40 } : { op };
        const pipeline = resolvePipeline({ spec: { format: 'png', steps: [step] }, seed: 99 });
        hashes[op] = sha256((await renderVariant(pattern, pipeline, 0)).data);
      }
      assert.deepEqual(hashes, GOLDEN_EACH_OPERATION);
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
