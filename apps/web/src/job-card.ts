import type { ApiClient } from './api.js';
import { h, ICONS, icon } from './dom.js';
import { formatAgo, formatBytes } from './format.js';
import { classCountsText } from './label-overlay.js';
import { fractionOf, jobTitle, statusText, type TrackedJob } from './progress.js';
import type { JobStatus, SourceView, WebhookView } from './types.js';

export interface JobCardActions {
  readonly openGallery: (jobId: string, opener: HTMLElement) => void;
  readonly remove: (jobId: string) => Promise<void>;
}

const BADGE: Record<JobStatus, string> = {
  created: 'Created',
  queued: 'Queued',
  processing: 'Working',
  completed: 'Done',
  failed: 'Failed',
};

const MAX_THUMBS = 4;
/** Webhook delivery attempts listed on a card (the latest ones). */
const MAX_ATTEMPTS_SHOWN = 5;

const WEBHOOK_STATUS: Record<WebhookView['status'], string> = {
  waiting: 'waits for the job to end',
  pending: 'retrying',
  delivered: 'delivered',
  failed: 'gave up',
};

/** "14:02:07": the attempt's local time of day. */
const timeOf = (iso: string): string => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString([], { hour12: false });
};

/** The webhook's delivery attempts, newest first: number, outcome (status or error) and time. */
const webhookList = (webhook: WebhookView): HTMLElement => {
  const shown = webhook.attempts.slice(-MAX_ATTEMPTS_SHOWN).reverse();
  const host = (() => {
    try {
      return new URL(webhook.url).host;
    } catch {
      return webhook.url;
    }
  })();
  const summary = `Webhook to ${host} · ${WEBHOOK_STATUS[webhook.status]} · ${webhook.attempts.length} attempt${webhook.attempts.length === 1 ? '' : 's'}`;
  return h(
    'details',
    { class: 'job-webhook', 'data-webhook-status': webhook.status, open: webhook.status !== 'delivered' },
    h('summary', {}, summary),
    h(
      'ol',
      { class: 'webhook-attempts', 'aria-label': 'Webhook delivery attempts, newest first' },
      ...shown.map((a) =>
        h(
          'li',
          { class: a.ok ? 'ok' : 'failed', 'data-attempt': a.attempt },
          `#${a.attempt} · ${a.ok ? `${a.status ?? ''} OK` : (a.error ?? `HTTP ${a.status ?? '?'}`)} · `,
          h('time', { datetime: a.at }, timeOf(a.at)),
        ),
      ),
    ),
  );
};
const MAX_THUMB_TRIES = 3;

/** Whether the server has written the source's thumbnail yet (it does so before the first variant). */
const hasThumbnail = (source: SourceView): boolean => source.variants > 0 || source.status === 'completed';

let cardCount = 0;

/** One job in the grid: thumbnails, status, live progress bar and actions. Updated in place as events arrive. */
export class JobCard {
  readonly element: HTMLLIElement;
  private readonly thumbs = h('div', { class: 'job-thumbs' });
  private readonly thumbState = new Map<
    string,
    { img: HTMLImageElement; box: HTMLElement; tries: number; ok: boolean }
  >();
  private readonly emptyThumb = h('div', { class: 'thumb-placeholder' }, icon(ICONS.images));
  private readonly moreCount = h('span', { class: 'thumb-count' });
  private readonly title = h('h3', { class: 'job-title' });
  private readonly meta = h('p', { class: 'job-meta' });
  private readonly tags = h('ul', { class: 'tags', 'aria-label': 'Tags' });
  private readonly status = h('div', { class: 'job-status' });
  private readonly badge = h('span', { class: 'badge' });
  private readonly text = h('span', { class: 'status-text' });
  private readonly bar = h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0 });
  private readonly fill = h('div', { class: 'bar-fill' });
  private readonly failures = h('ul', { class: 'source-failures', 'aria-label': 'Sources that failed' });
  private readonly classes = h('p', { class: 'job-classes hint' });
  private readonly webhook = h('div', { class: 'job-webhook-box' });
  private webhookKey = '';
  private readonly view = h('button', { type: 'button', class: 'button small', 'data-action': 'gallery' });
  private readonly download = h('a', { class: 'button small primary', 'data-action': 'download', download: true });
  private readonly remove = h('button', {
    type: 'button',
    class: 'button small ghost danger',
    'data-action': 'delete',
  });
  private readonly viewLabel = h('span', {}, 'View variants');
  private readonly removeLabel = h('span', {}, 'Delete');
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;
  private job: TrackedJob;

  constructor(
    job: TrackedJob,
    private readonly api: ApiClient,
    private readonly actions: JobCardActions,
  ) {
    this.job = job;
    const titleId = `job-title-${++cardCount}`;
    this.title.id = titleId;
    this.bar.setAttribute('aria-labelledby', titleId);
    this.bar.append(this.fill);
    this.status.append(h('div', { class: 'status-line' }, this.badge, this.text), this.bar);
    this.view.append(icon(ICONS.images), this.viewLabel);
    this.remove.append(icon(ICONS.trash), this.removeLabel);
    this.view.addEventListener('click', () => this.actions.openGallery(this.job.view.id, this.view));
    this.remove.addEventListener('click', () => void this.onDelete());
    this.element = h(
      'li',
      { class: 'job-card', 'data-job-id': job.view.id },
      this.thumbs,
      h(
        'div',
        { class: 'job-body' },
        this.title,
        this.meta,
        this.classes,
        this.tags,
        this.status,
        this.failures,
        this.webhook,
      ),
      h('div', { class: 'job-actions' }, this.view, this.download, this.remove),
    );
    this.update(job);
  }

  get tracked(): TrackedJob {
    return this.job;
  }

  update(job: TrackedJob): void {
    this.job = job;
    const { view } = job;
    this.element.dataset.status = view.status;
    this.title.textContent = jobTitle(view);
    this.meta.textContent = [
      `${view.sources.length} image${view.sources.length === 1 ? '' : 's'}`,
      `${view.variantsPerSource} variant${view.variantsPerSource === 1 ? '' : 's'} each`,
      view.pipeline.preset ?? 'custom pipeline',
      formatAgo(view.createdAt),
    ].join(' · ');
    this.classes.hidden = !view.dataset;
    if (view.dataset) {
      this.classes.textContent = `${view.dataset.format} → ${view.dataset.export}${view.dataset.split ? ` · split ${view.dataset.split}` : ''} · objects per class, before → after: ${classCountsText(view.dataset)}`;
    }
    this.tags.replaceChildren(...view.tags.map((tag) => h('li', {}, tag)));
    this.tags.hidden = view.tags.length === 0;
    this.badge.textContent = BADGE[view.status];
    this.text.textContent = statusText(view);
    const fraction = fractionOf(view);
    this.fill.style.width = `${Math.round(fraction * 100)}%`;
    this.bar.setAttribute('aria-valuemax', String(Math.max(1, view.progress.total)));
    this.bar.setAttribute('aria-valuenow', String(Math.min(view.progress.done, view.progress.total)));
    this.bar.setAttribute('aria-valuetext', statusText(view));
    const failed = view.sources.filter((s) => s.failure && (s.status === 'failed' || s.status === 'dead-lettered'));
    this.failures.replaceChildren(
      ...failed.map((s) => h('li', {}, `${s.label ? `${s.label}/` : ''}${s.name}: ${s.failure}`)),
    );
    this.failures.hidden = failed.length === 0;
    const variants = view.sources.reduce((sum, s) => sum + s.variants, 0);
    this.view.hidden = variants === 0;
    this.viewLabel.textContent = `View ${variants} variant${variants === 1 ? '' : 's'}`;
    if (view.archive) {
      this.download.href = this.api.archiveUrl(view.id);
      this.download.replaceChildren(
        icon(ICONS.download),
        h('span', {}, `Download zip · ${formatBytes(view.archive.bytes)}`),
      );
      this.download.setAttribute(
        'aria-label',
        `Download the zip of ${jobTitle(view)}, ${formatBytes(view.archive.bytes)}`,
      );
    }
    this.download.hidden = !view.archive;
    this.renderWebhook(view.webhook);
    this.renderThumbs();
  }

  /** Redraws the webhook's attempts when they changed (a redraw would close a `details` the user opened). */
  private renderWebhook(webhook: WebhookView | undefined): void {
    const key = webhook ? `${webhook.status}:${webhook.attempts.length}` : '';
    if (key === this.webhookKey) return;
    this.webhookKey = key;
    this.webhook.replaceChildren(...(webhook ? [webhookList(webhook)] : []));
    this.webhook.hidden = !webhook;
  }

  /** Re-reads the thumbnail and archive URLs (after the API key changed). */
  refreshUrls(): void {
    this.thumbState.clear();
    this.update(this.job);
  }

  private renderThumbs(): void {
    const sources = this.job.view.sources.slice(0, MAX_THUMBS);
    const children: HTMLElement[] = sources.map((source) => this.thumbOf(source));
    if (children.length === 0) children.push(this.emptyThumb);
    const more = this.job.view.sources.length - sources.length;
    if (more > 0) {
      this.moreCount.textContent = `+${more}`;
      children.push(this.moreCount);
    }
    this.thumbs.style.setProperty('--cols', String(Math.min(sources.length, 2) || 1));
    const current = [...this.thumbs.children];
    if (children.length !== current.length || children.some((child, i) => child !== current[i])) {
      this.thumbs.replaceChildren(...children);
    }
  }

  /** The source's thumbnail once it has loaded, else a placeholder holding the (hidden) img while it loads. */
  private thumbOf(source: SourceView): HTMLElement {
    let state = this.thumbState.get(source.sourceId);
    if (!state) {
      const img = h('img', { alt: '', decoding: 'async', width: 320, height: 180, hidden: true });
      const entry = {
        img,
        box: h('div', { class: 'thumb-placeholder' }, icon(ICONS.images), img),
        tries: 0,
        ok: false,
      };
      img.addEventListener('load', () => {
        entry.ok = true;
        img.hidden = false;
        this.renderThumbs();
      });
      img.addEventListener('error', () => {
        entry.ok = false;
        img.hidden = true;
        img.removeAttribute('src');
        this.renderThumbs();
      });
      this.thumbState.set(source.sourceId, entry);
      state = entry;
    }
    if (!state.ok && !state.img.getAttribute('src') && hasThumbnail(source) && state.tries < MAX_THUMB_TRIES) {
      state.tries++;
      state.img.alt = `Thumbnail of ${source.name}`;
      state.img.src = this.api.thumbnailUrl(this.job.view.id, source.sourceId);
    }
    return state.ok ? state.img : state.box;
  }

  private async onDelete(): Promise<void> {
    if (!this.remove.classList.contains('confirming')) {
      this.remove.classList.add('confirming');
      this.removeLabel.textContent = 'Confirm delete';
      this.confirmTimer = setTimeout(() => this.resetDelete(), 4000);
      return;
    }
    clearTimeout(this.confirmTimer);
    this.remove.disabled = true;
    try {
      await this.actions.remove(this.job.view.id);
    } finally {
      this.remove.disabled = false;
      this.resetDelete();
    }
  }

  private resetDelete(): void {
    this.remove.classList.remove('confirming');
    this.removeLabel.textContent = 'Delete';
  }
}
