import type { Box } from '@delta-augment/core';
import { compose, invert, type Mat3, scale, translate } from './geometry/matrix.js';
import { warpStages } from './geometry/warp.js';
import type { MosaicLayout, RawImage } from './types.js';

export type { MosaicLayout };

/** Where one image of a mosaic goes: its forward map onto the mosaic and the quadrant it fills. */
export interface Placement {
  readonly matrix: Mat3;
  readonly rect: Box;
}

/** The quadrants of a W×H mosaic, in slot order (top-left, top-right, bottom-left, bottom-right). */
const quadrants = (W: number, H: number, cx: number, cy: number): Box[] => [
  { x: 0, y: 0, width: cx, height: cy },
  { x: cx, y: 0, width: W - cx, height: cy },
  { x: 0, y: cy, width: cx, height: H - cy },
  { x: cx, y: cy, width: W - cx, height: H - cy },
];

/**
 * Where a w×h image goes in quadrant `q`: scaled to cover the quadrant, with the corner that faces
 * the centre on the centre (so the part of it next to the centre is kept, as in YOLO's mosaic).
 */
export function placement(layout: MosaicLayout, W: number, H: number, q: number, w: number, h: number): Placement {
  const rect = quadrants(W, H, layout.centreX, layout.centreY)[q] as Box;
  const f = Math.max(rect.width / w, rect.height / h);
  const right = q === 1 || q === 3;
  const below = q === 2 || q === 3;
  const tx = right ? layout.centreX : layout.centreX - f * w;
  const ty = below ? layout.centreY : layout.centreY - f * h;
  return { matrix: compose(translate(tx, ty), scale(f, f)), rect };
}

/** The slot order of a mosaic: the image itself in its quadrant, the other images in the rest, in turn. */
export const slotQuadrants = (layout: MosaicLayout): number[] => [
  layout.quadrant,
  ...[0, 1, 2, 3].filter((q) => q !== layout.quadrant),
];

/** The image with `channels` channels (alpha added opaque, or dropped). */
function withChannels(image: RawImage, channels: 3 | 4): RawImage {
  if (image.channels === channels) return image;
  const n = image.width * image.height;
  const data = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    data[i * channels] = image.data[i * image.channels] as number;
    data[i * channels + 1] = image.data[i * image.channels + 1] as number;
    data[i * channels + 2] = image.data[i * image.channels + 2] as number;
    if (channels === 4) data[i * 4 + 3] = 255;
  }
  return { width: image.width, height: image.height, channels, data };
}

/**
 * Renders a mosaic on the W×H canvas of `images[0]` (the image itself): each image is warped
 * (bilinear) by its placement into its quadrant only.
 */
export function renderMosaic(images: readonly RawImage[], layout: MosaicLayout): RawImage {
  const first = images[0] as RawImage;
  const { width: W, height: H, channels } = first;
  const out = new Uint8Array(W * H * channels);
  const slots = slotQuadrants(layout);
  images.forEach((raw, slot) => {
    const image = withChannels(raw, channels);
    const { matrix, rect } = placement(layout, W, H, slots[slot] as number, image.width, image.height);
    if (rect.width <= 0 || rect.height <= 0) return;
    const inverse = invert(compose(translate(-rect.x, -rect.y), matrix));
    const tile = warpStages(
      image,
      [{ kind: 'matrix', inverse, inWidth: image.width, inHeight: image.height, fill: [0, 0, 0, 255] }],
      rect.width,
      rect.height,
    );
    const row = rect.width * channels;
    for (let y = 0; y < rect.height; y++) {
      out.set(tile.data.subarray(y * row, (y + 1) * row), ((rect.y + y) * W + rect.x) * channels);
    }
  });
  return { width: W, height: H, channels, data: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}
