import { type ApiClient, ApiError } from './api.js';
import { byId, h } from './dom.js';
import type { PipelineField } from './upload-form.js';

export interface PreviewStripOptions {
  readonly api: ApiClient;
  /** The image to preview: the first image chosen, if any. */
  readonly image: () => File | undefined;
  readonly pipeline: () => PipelineField | { readonly problem: string };
  /** The form's seed ('' when left random). */
  readonly seed: () => string;
}

/** Variants shown in the strip, and their longest side. */
const COUNT = 6;
const SIZE = 256;
/** Waits this long after the last change before asking the server (sliders send many changes). */
const DEBOUNCE_MS = 300;

/**
 * The live preview strip: a few variants of the first chosen image, rendered by `POST /api/preview` and
 * re-rendered (debounced) whenever the image, the preset, a switch, a slider or the seed changes. A new
 * render aborts the one in flight. With no seed the strip keeps one random seed so moving a slider shows
 * that slider's effect, not a new draw.
 */
export class PreviewStrip {
  private readonly section = byId('preview-strip');
  private readonly images = byId('preview-images');
  private readonly status = byId('preview-status');
  private readonly fallbackSeed = String(Math.floor(Math.random() * 2 ** 31));
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: AbortController | undefined;
  private renders = 0;

  constructor(private readonly options: PreviewStripOptions) {}

  /** Something the preview depends on changed: render again shortly. */
  schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.render(), DEBOUNCE_MS);
  }

  private async render(): Promise<void> {
    const image = this.options.image();
    this.section.hidden = image === undefined;
    if (!image) return;
    const pipeline = this.options.pipeline();
    if ('problem' in pipeline) {
      this.status.textContent = pipeline.problem;
      return;
    }
    this.inFlight?.abort();
    const controller = new AbortController();
    this.inFlight = controller;
    const form = new FormData();
    if ('preset' in pipeline) {
      if (pipeline.preset) form.set('preset', pipeline.preset);
    } else form.set('pipeline', pipeline.pipeline);
    form.set('seed', this.options.seed() || this.fallbackSeed);
    form.set('count', String(COUNT));
    form.set('size', String(SIZE));
    form.set('file', image, image.name);
    this.section.setAttribute('aria-busy', 'true');
    this.status.textContent = `Rendering a preview of ${image.name}…`;
    try {
      const answer = await this.options.api.preview(form, controller.signal);
      this.renders += 1;
      this.images.replaceChildren(
        ...(answer.variants ?? []).map((variant) =>
          h(
            'figure',
            { class: 'preview-variant' },
            h('img', {
              src: variant.image ?? '',
              alt: `Variant ${(variant.index ?? 0) + 1}: ${(variant.operations ?? []).map((o) => o.op).join(', ') || 'unchanged'}`,
              width: variant.width,
              height: variant.height,
            }),
            h('figcaption', {}, (variant.operations ?? []).map((o) => o.op).join(' · ') || 'unchanged'),
          ),
        ),
      );
      this.images.dataset.renders = String(this.renders);
      this.status.textContent = `${answer.variants?.length ?? 0} variants of ${image.name} (seed ${answer.pipeline?.seed ?? ''}).`;
    } catch (error) {
      if (controller.signal.aborted) return;
      this.status.textContent = error instanceof ApiError ? error.message : 'The preview failed.';
    } finally {
      if (this.inFlight === controller) {
        this.inFlight = undefined;
        this.section.removeAttribute('aria-busy');
      }
    }
  }
}
