import type { Sharp } from 'sharp';
import { type Paste, type PasteSource, pastePixels, resolvePastes } from './copy-paste.js';
import { pixelsOf } from './decode.js';
import { drawVariant } from './draw.js';
import type { Effect } from './effects.js';
import { defaultFormat, FORMATS, sharpRaw, withDeadline, withFormat } from './encode.js';
import { compose, scale } from './geometry/matrix.js';
import { type DihedralPlan, planGeometry } from './geometry/plan.js';
import { warpAffine, warpStages } from './geometry/warp.js';
import { type FollowOptions, followLabels, type PartnerLabels } from './labels/follow.js';
import { renderMosaic } from './mosaic.js';
import { applyLut, composeLuts } from './pixels/point.js';
import { giveBuffer } from './pool.js';
import { variantRng } from './rng.js';
import { inPhase, inPhaseSync } from './timing.js';
import type {
  DecodedSource,
  Partner,
  Partners,
  RawImage,
  RenderedVariant,
  ResolvedPipeline,
  VariantLabels,
} from './types.js';

type GeometricEffect = Extract<Effect, { kind: 'transform' | 'displace' }>;
type SharpEffect = Extract<Effect, { kind: 'sharp' }>;

/** Work that one sharp pipeline can do, in sharp's own order: flop/rotate/extract, then filters. */
interface SharpPass {
  dihedral?: DihedralPlan;
  effects: SharpEffect[];
}

function applyPass(pipeline: Sharp, pass: SharpPass): Sharp {
  let p = pipeline;
  const d = pass.dihedral;
  if (d !== undefined) {
    if (d.flop) p = p.flop();
    if (d.angle !== 0) p = p.rotate(d.angle);
    if (d.extract !== undefined) p = p.extract(d.extract);
  }
  for (const effect of pass.effects) p = effect.apply(p);
  return p;
}

/** The size of an image after a pass. */
function passSize(image: RawImage, pass: SharpPass): { width: number; height: number } {
  const d = pass.dihedral;
  if (d?.extract !== undefined) return { width: d.extract.width, height: d.extract.height };
  const turned = d !== undefined && (d.angle === 90 || d.angle === 270);
  return turned ? { width: image.height, height: image.width } : { width: image.width, height: image.height };
}

/** When a warp shrinks the image by more than half, first shrink it with sharp's filtered resize. */
const PRESHRINK_BELOW = 0.5;

/** Runs a variant's effects on the shared source pixels, fusing what can be fused. */
class VariantRenderer {
  #image: RawImage;
  /** True once the image buffer belongs to this variant (the source's must never be written). */
  #owned = false;
  #geometry: GeometricEffect[] = [];
  #lut: Uint8Array | undefined;
  #pass: SharpPass = { effects: [] };

  readonly #partners: ReadonlyMap<number, RawImage>;
  readonly #pasteFrom: (k: number) => { image: RawImage; labels?: PasteSource } | undefined;
  /** What each copy-paste pasted, for the manifest. */
  readonly pasted = new Map<Effect, readonly Paste[]>();

  constructor(
    source: RawImage,
    partners: ReadonlyMap<number, RawImage>,
    pasteFrom: (k: number) => { image: RawImage; labels?: PasteSource } | undefined,
  ) {
    this.#image = source;
    this.#partners = partners;
    this.#pasteFrom = pasteFrom;
  }

  #set(image: RawImage): void {
    const previous = this.#image.data;
    if (this.#owned && previous !== image.data && Buffer.isBuffer(previous)) giveBuffer(previous);
    this.#image = image;
    this.#owned = true;
  }

  async add(effect: Effect): Promise<void> {
    switch (effect.kind) {
      case 'transform':
      case 'displace':
        this.#flushLut();
        await this.#flushPass();
        this.#geometry.push(effect);
        return;
      case 'lut':
        // Consecutive tables compose exactly (clamping included), so only other pending work is flushed.
        await this.#flushGeometry();
        await this.#flushPass();
        this.#lut = this.#lut === undefined ? effect.lut : composeLuts(this.#lut, effect.lut);
        return;
      case 'sharp': {
        this.#flushLut();
        await this.#flushGeometry();
        const last = this.#pass.effects.at(-1);
        if (last !== undefined && last.rank >= effect.rank) await this.#flushPass();
        this.#pass.effects.push(effect);
        return;
      }
      case 'pixels':
        await this.#flushAll();
        inPhaseSync('pixels', () => this.#set(effect.run(this.#image, this.#owned)));
        return;
      case 'async':
        await this.#flushAll();
        this.#set(await inPhase('pixels', () => effect.run(this.#image)));
        return;
      case 'mosaic': {
        await this.#flushAll();
        const self = this.#image;
        const images = [self, ...effect.partners.map((k) => (k < 0 ? self : (this.#partners.get(k) ?? self)))];
        inPhaseSync('pixels', () => this.#set(renderMosaic(images, effect.layout)));
        return;
      }
      case 'copyPaste': {
        await this.#flushAll();
        const from = this.#pasteFrom(effect.partner);
        if (from?.labels === undefined) {
          this.pasted.set(effect, []);
          return;
        }
        const pastes = resolvePastes(effect, from.labels, this.#image.width, this.#image.height);
        this.pasted.set(effect, pastes);
        inPhaseSync('pixels', () => this.#set(pastePixels(this.#image, from.image, pastes, this.#owned)));
        return;
      }
    }
  }

  /** Applies what is pending and encodes, fusing the last sharp pass into the encode. */
  async encode(
    format: RenderedVariant['format'],
    quality: number | undefined,
  ): Promise<{ data: Buffer; width: number; height: number }> {
    this.#flushLut();
    await this.#flushGeometry();
    const image = this.#image;
    const pipeline = applyPass(sharpRaw(image), this.#pass);
    const { data, info } = await inPhase('encode', () =>
      withFormat(pipeline, format, quality, image.channels === 4).toBuffer({ resolveWithObject: true }),
    );
    if (this.#owned && Buffer.isBuffer(image.data)) giveBuffer(image.data);
    return { data, width: info.width, height: info.height };
  }

  async #flushAll(): Promise<void> {
    this.#flushLut();
    await this.#flushGeometry();
    await this.#flushPass();
  }

  #flushLut(): void {
    if (this.#lut === undefined) return;
    const table = this.#lut;
    this.#lut = undefined;
    inPhaseSync('pixels', () => this.#set(applyLut(this.#image, table, this.#owned)));
  }

  async #flushPass(): Promise<void> {
    const pass = this.#pass;
    if (pass.dihedral === undefined && pass.effects.length === 0) return;
    this.#pass = { effects: [] };
    const image = this.#image;
    const data = await inPhase('pixels', () => applyPass(sharpRaw(image), pass).raw().toBuffer());
    this.#set({ ...passSize(image, pass), channels: image.channels, data });
  }

  /** Renders pending geometry; whole-pixel permutations are left in the sharp pass instead. */
  async #flushGeometry(): Promise<void> {
    if (this.#geometry.length === 0) return;
    const effects = this.#geometry;
    this.#geometry = [];
    await inPhase('geometry', () => this.#renderGeometry(effects));
  }

  async #renderGeometry(effects: GeometricEffect[]): Promise<void> {
    const image = this.#image;
    const plan = planGeometry(effects, { width: image.width, height: image.height, hasAlpha: image.channels === 4 });
    switch (plan.kind) {
      case 'identity':
        return;
      case 'dihedral':
        this.#pass = { dihedral: plan, effects: [] };
        return;
      case 'stages':
        this.#set(warpStages(image, plan.stages, plan.width, plan.height));
        return;
      case 'affine': {
        let source = image;
        let inverse = plan.inverse;
        const sx = Math.hypot(plan.forward[0], plan.forward[3]);
        const sy = Math.hypot(plan.forward[1], plan.forward[4]);
        if (sx < PRESHRINK_BELOW && sy < PRESHRINK_BELOW) {
          // A large reduction: let sharp's filtered resize do most of it, so the warp does not alias.
          const width = Math.max(1, Math.round(image.width * sx));
          const height = Math.max(1, Math.round(image.height * sy));
          const data = await sharpRaw(image).resize(width, height, { fit: 'fill' }).raw().toBuffer();
          source = { data, width, height, channels: image.channels };
          inverse = compose(scale(width / image.width, height / image.height), inverse);
        }
        const matrixStage = {
          kind: 'matrix' as const,
          inverse,
          inWidth: source.width,
          inHeight: source.height,
          fill: plan.fill,
        };
        this.#set(
          warpAffine(source, inverse, plan.width, plan.height, plan.fill) ??
            warpStages(source, [matrixStage], plan.width, plan.height),
        );
        return;
      }
    }
  }
}

/** How long a render may run, and how it is told to stop. */
export interface RenderLimits {
  /** Checked between stages: once aborted, no further stage starts and the render rejects with its reason. */
  readonly signal?: AbortSignal;
  /** Epoch ms at which libvips stops the stage it is running (see `withDeadline`). */
  readonly stopAt?: number;
}

/**
 * Renders variant `index` of a source: draws the operations from the variant's own generator
 * (seed, source digest, index) and renders them in one pass where possible. With `limits`, the render stops
 * when its signal aborts (between stages) or its deadline passes (libvips stops the running stage).
 */
export function renderVariant(
  source: DecodedSource,
  pipeline: ResolvedPipeline,
  index: number,
  labels?: VariantLabels & FollowOptions,
  limits: RenderLimits = {},
  partners?: Partners,
): Promise<RenderedVariant> {
  return withDeadline(limits.stopAt, () => render(source, pipeline, index, labels, limits.signal, partners));
}

async function render(
  source: DecodedSource,
  pipeline: ResolvedPipeline,
  index: number,
  labels: (VariantLabels & FollowOptions) | undefined,
  signal: AbortSignal | undefined,
  partners: Partners | undefined,
): Promise<RenderedVariant> {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError(`variant index must be a non-negative integer`);
  const pixels = pixelsOf(source);
  const rng = variantRng(pipeline.seed, source.digest, index);
  const drawn = drawVariant(
    pipeline.spec,
    rng,
    { width: pixels.width, height: pixels.height, hasAlpha: pixels.channels === 4 },
    {
      ...(labels === undefined ? {} : { labels: labels.labels, minVisibility: labels.minVisibility }),
      partners: partners?.count ?? 0,
    },
  );
  const canvas = { width: pixels.width, height: pixels.height, hasAlpha: pixels.channels === 4 };
  // The other images the drawn operations use, loaded once each.
  const wanted = new Set(
    drawn.flatMap(({ effect }) =>
      effect.kind === 'mosaic' ? effect.partners : effect.kind === 'copyPaste' ? [effect.partner] : [],
    ),
  );
  const loaded = new Map<number, Partner>();
  for (const k of [...wanted].filter((k) => k >= 0).sort((a, b) => a - b)) {
    if (partners !== undefined) loaded.set(k, await partners.load(k));
  }
  const partnerLabels = new Map<number, PartnerLabels>();
  for (const [k, p] of loaded) {
    if (p.labels) partnerLabels.set(k, { labels: p.labels, width: p.source.width, height: p.source.height });
  }
  const followed = labels === undefined ? undefined : followLabels(labels.labels, drawn, canvas, labels, partnerLabels);
  const partnerPixels = new Map([...loaded].map(([k, p]) => [k, pixelsOf(p.source)]));
  const renderer = new VariantRenderer(pixels, partnerPixels, (k) => {
    if (k < 0) {
      const own = labels && { labels: labels.labels, width: pixels.width, height: pixels.height };
      return { image: pixels, ...(own ? { labels: own } : {}) };
    }
    const image = partnerPixels.get(k);
    const theirs = partnerLabels.get(k);
    return image && { image, ...(theirs ? { labels: theirs } : {}) };
  });
  for (const operation of drawn) {
    signal?.throwIfAborted();
    await renderer.add(operation.effect);
  }
  signal?.throwIfAborted();
  const format = pipeline.spec.format ?? defaultFormat(source.format);
  const { data, width, height } = await renderer.encode(format, pipeline.spec.quality);
  return {
    data,
    format,
    extension: FORMATS[format].extension,
    contentType: FORMATS[format].contentType,
    width,
    height,
    operations: drawn.map(({ op, params, effect }) => {
      if (effect.kind === 'mosaic') {
        return {
          op,
          params: { ...params, images: effect.partners.map((k) => (k < 0 ? null : (loaded.get(k)?.name ?? null))) },
        };
      }
      if (effect.kind === 'copyPaste') {
        const pastes = renderer.pasted.get(effect) ?? [];
        return {
          op,
          params: {
            ...params,
            image: effect.partner < 0 ? null : (loaded.get(effect.partner)?.name ?? null),
            pasted: pastes.map((p) => ({
              object: p.index,
              category: p.object.category,
              scale: p.scale,
              left: p.left,
              top: p.top,
            })),
          },
        };
      }
      return { op, params };
    }),
    ...(followed === undefined ? {} : { labels: followed }),
  };
}
