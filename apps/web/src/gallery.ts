import type { ApiClient } from './api.js';
import { byId, h } from './dom.js';
import { formatBytes } from './format.js';
import { overlayMarkup } from './label-overlay.js';
import { jobTitle, statusText, type TrackedJob, variantIndicesOf } from './progress.js';
import type { SourceView } from './types.js';

interface Item {
  readonly source: SourceView;
  readonly index: number;
  readonly key: string;
}

const itemKey = (sourceId: string, index: number): string => `${sourceId}/${index}`;
const sourceName = (source: SourceView): string => (source.label ? `${source.label}/${source.name}` : source.name);

/**
 * The in-browser gallery of a job's variants, in a modal dialog: a grid per source, arrow keys to move,
 * Enter for a larger view (the lightbox) where arrows page through, Esc to step back out. Grows live while
 * the job is still writing variants.
 */
export class Gallery {
  private readonly dialog = byId<HTMLDialogElement>('gallery');
  private readonly body = byId('gallery-body');
  private readonly titleEl = byId('gallery-title');
  private readonly sub = byId('gallery-sub');
  private readonly download = h('a', { class: 'button primary small', download: true, hidden: true });
  private readonly lightbox = byId('lightbox');
  private readonly image = byId<HTMLImageElement>('lightbox-image');
  private readonly caption = byId('lightbox-caption');
  /** "Show labels" toggle, shown for labelled dataset jobs. */
  private readonly labelsToggle = h('input', { type: 'checkbox', id: 'gallery-labels', checked: true });
  private readonly labelsSwitch = h(
    'label',
    { class: 'labels-toggle', for: 'gallery-labels', hidden: true },
    this.labelsToggle,
    ' Show labels',
  );
  private readonly lightboxOverlay = h('div', { class: 'lightbox-labels' });
  private items: Item[] = [];
  private readonly tiles = new Map<string, HTMLButtonElement>();
  private readonly grids = new Map<string, HTMLUListElement>();
  private job: TrackedJob | undefined;
  private current = -1;
  private opener: HTMLElement | undefined;

  constructor(private readonly api: ApiClient) {
    this.lightbox.tabIndex = -1;
    byId('gallery-close').before(this.download);
    this.download.before(this.labelsSwitch);
    this.labelsToggle.addEventListener('change', () => {
      this.dialog.classList.toggle('hide-labels', !this.labelsToggle.checked);
    });
    this.image.after(this.lightboxOverlay);
    byId('gallery-close').addEventListener('click', () => this.dialog.close());
    byId('lightbox-close').addEventListener('click', () => this.closeLightbox());
    byId('lightbox-prev').addEventListener('click', () => this.show(this.current - 1));
    byId('lightbox-next').addEventListener('click', () => this.show(this.current + 1));
    this.dialog.addEventListener('cancel', (event) => {
      if (!this.lightbox.hidden) {
        event.preventDefault();
        this.closeLightbox();
      }
    });
    this.dialog.addEventListener('close', () => this.onClosed());
    this.dialog.addEventListener('click', (event) => {
      if (event.target === this.dialog) this.dialog.close(); // a click on the backdrop
    });
    this.body.addEventListener('keydown', (event) => this.onGridKey(event));
    this.lightbox.addEventListener('keydown', (event) => this.onLightboxKey(event));
  }

  get openJobId(): string | undefined {
    return this.dialog.open ? this.job?.view.id : undefined;
  }

  open(job: TrackedJob, opener: HTMLElement): void {
    this.opener = opener;
    this.job = undefined;
    this.items = [];
    this.tiles.clear();
    this.grids.clear();
    this.body.replaceChildren();
    this.lightbox.hidden = true;
    this.body.inert = false;
    this.job = job;
    this.labelsSwitch.hidden = !job.view.dataset;
    this.dialog.classList.toggle('hide-labels', !this.labelsToggle.checked);
    this.render(job);
    this.dialog.showModal();
    this.tiles.values().next().value?.focus();
  }

  /** Adds the variants written since the last call (no-op for another job or when closed). */
  update(job: TrackedJob): void {
    if (!this.dialog.open || this.job?.view.id !== job.view.id) return;
    this.job = job;
    this.render(job);
  }

  private render(job: TrackedJob): void {
    const { view } = job;
    this.titleEl.textContent = jobTitle(view);
    const count = view.sources.reduce((sum, s) => sum + s.variants, 0);
    this.sub.textContent =
      view.status === 'completed' ? statusText(view) : `${statusText(view)} · ${count} to view so far`;
    if (view.archive) {
      this.download.href = this.api.archiveUrl(view.id);
      this.download.textContent = `Download zip · ${formatBytes(view.archive.bytes)}`;
    }
    this.download.hidden = !view.archive;
    for (const source of view.sources) {
      for (const index of variantIndicesOf(job, source)) this.addTile(source, index);
    }
    if (this.items.length === 0 && !this.body.querySelector('.empty')) {
      this.body.append(h('p', { class: 'empty' }, 'No variants yet. They appear here as they are written.'));
    } else if (this.items.length > 0) {
      this.body.querySelector('.empty')?.remove();
    }
  }

  private addTile(source: SourceView, index: number): void {
    const key = itemKey(source.sourceId, index);
    if (this.tiles.has(key) || !this.job) return;
    let grid = this.grids.get(source.sourceId);
    if (!grid) {
      grid = h('ul', { class: 'variant-grid', 'aria-label': `Variants of ${sourceName(source)}` });
      this.grids.set(source.sourceId, grid);
      const section = h('section', { class: 'gallery-source' }, h('h3', {}, sourceName(source)), grid);
      this.body.append(section);
    }
    const label = `Variant ${index + 1} of ${sourceName(source)}`;
    const img = h('img', {
      src: this.api.variantUrl(this.job.view.id, source.sourceId, index),
      alt: label,
      loading: 'lazy',
      decoding: 'async',
    });
    // A variant counted but not yet readable (or briefly unavailable) is tried again a few times.
    let tries = 0;
    img.addEventListener('error', () => {
      if (++tries > 3 || !this.job) return;
      setTimeout(() => {
        img.src = `${img.src.split('#')[0]}#retry${tries}`;
      }, 1000 * tries);
    });
    const tile = h('button', { type: 'button', class: 'variant-tile', 'data-key': key }, img);
    if (this.job.view.dataset) void this.drawLabels(tile, source.sourceId, index, 'cover');
    tile.addEventListener('click', () => this.openLightbox(key));
    // Keep each source's tiles in index order even when variants arrive out of order.
    const item: Item = { source, index, key };
    const after = [...grid.children].find((li) => Number((li as HTMLElement).dataset.index) > index);
    grid.insertBefore(h('li', { 'data-index': index }, tile), after ?? null);
    this.tiles.set(key, tile);
    this.items.push(item);
    this.items = this.orderedItems();
  }

  /** Fetches an output's labels and draws them over `host` (an image's box); failures leave the image alone. */
  private async drawLabels(
    host: HTMLElement,
    sourceId: string,
    index: number,
    fit: 'cover' | 'contain',
  ): Promise<void> {
    const jobId = this.job?.view.id;
    if (!jobId) return;
    try {
      const labels = await this.api.labels(jobId, sourceId, index);
      host.querySelector('.label-overlay')?.remove();
      host.insertAdjacentHTML('beforeend', overlayMarkup(labels, fit));
    } catch {
      // Labels are an extra: without them the preview still shows.
    }
  }

  /** Items in display order: sources in job order, variants by index. */
  private orderedItems(): Item[] {
    const order = new Map(this.job?.view.sources.map((s, i) => [s.sourceId, i]) ?? []);
    return [...this.items].sort(
      (a, b) => (order.get(a.source.sourceId) ?? 0) - (order.get(b.source.sourceId) ?? 0) || a.index - b.index,
    );
  }

  private onGridKey(event: KeyboardEvent): void {
    const tile = (event.target as HTMLElement).closest<HTMLButtonElement>('.variant-tile');
    if (!tile) return;
    const at = this.items.findIndex((item) => item.key === tile.dataset.key);
    const columns = this.columnsOf(tile);
    const moves: Record<string, number> = {
      ArrowRight: at + 1,
      ArrowLeft: at - 1,
      ArrowDown: at + columns,
      ArrowUp: at - columns,
      Home: 0,
      End: this.items.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const item = this.items[Math.max(0, Math.min(this.items.length - 1, target))];
    if (item) this.tiles.get(item.key)?.focus();
  }

  private columnsOf(tile: HTMLElement): number {
    const grid = tile.closest('ul');
    if (!grid) return 1;
    return getComputedStyle(grid).gridTemplateColumns.split(' ').filter(Boolean).length || 1;
  }

  private openLightbox(key: string): void {
    this.body.inert = true;
    this.lightbox.hidden = false;
    this.show(this.items.findIndex((item) => item.key === key));
    this.lightbox.focus();
  }

  private closeLightbox(): void {
    this.lightbox.hidden = true;
    this.body.inert = false;
    const item = this.items[this.current];
    if (item) this.tiles.get(item.key)?.focus();
  }

  private show(position: number): void {
    if (this.items.length === 0 || !this.job) return;
    this.current = (position + this.items.length) % this.items.length;
    const item = this.items[this.current];
    if (!item) return;
    const perSource = this.job.view.variantsPerSource;
    this.image.src = this.api.variantUrl(this.job.view.id, item.source.sourceId, item.index);
    this.lightboxOverlay.replaceChildren();
    if (this.job.view.dataset) {
      const overlay = this.lightboxOverlay;
      const place = () => {
        overlay.style.width = `${this.image.clientWidth}px`;
        overlay.style.height = `${this.image.clientHeight}px`;
        overlay.style.left = `${this.image.offsetLeft}px`;
        overlay.style.top = `${this.image.offsetTop}px`;
      };
      this.image.onload = place;
      void this.drawLabels(overlay, item.source.sourceId, item.index, 'contain').then(place);
    }
    this.image.alt = `Variant ${item.index + 1} of ${sourceName(item.source)}`;
    this.caption.textContent = `${sourceName(item.source)} · variant ${item.index + 1} of ${perSource} · image ${this.current + 1} of ${this.items.length}`;
    const next = this.items[(this.current + 1) % this.items.length];
    if (next) new Image().src = this.api.variantUrl(this.job.view.id, next.source.sourceId, next.index);
  }

  private onLightboxKey(event: KeyboardEvent): void {
    const moves: Record<string, number> = {
      ArrowRight: this.current + 1,
      ArrowDown: this.current + 1,
      ArrowLeft: this.current - 1,
      ArrowUp: this.current - 1,
      Home: 0,
      End: this.items.length - 1,
    };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    this.show(target);
  }

  private onClosed(): void {
    this.lightbox.hidden = true;
    this.body.inert = false;
    this.image.removeAttribute('src');
    this.job = undefined;
    this.opener?.focus();
  }
}
