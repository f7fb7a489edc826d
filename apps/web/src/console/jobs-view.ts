import { h } from '../dom.js';
import { lineChart } from './chart.js';
import type { ConsoleApi } from './console-api.js';
import { formatDuration, timelineOf, variantsOverTime } from './timeline.js';
import type { AdminJobView, StoredEventView } from './types.js';

export interface JobSearch {
  readonly owner?: string;
  readonly status?: string;
  readonly tag?: string;
  readonly from?: string;
  readonly to?: string;
}

const field = (name: string, label: string, value: string | undefined, type = 'text') =>
  h('label', { class: 'field' }, h('span', {}, label), h('input', { name, type, value: value ?? '' }));

/** Jobs across owners (admin): a search form by owner, status, tag and creation date, and the results. */
export const renderJobs = async (
  api: ConsoleApi,
  root: HTMLElement,
  search: JobSearch,
  onSearch: (search: JobSearch) => void,
): Promise<void> => {
  const page = await api.get<{ items: AdminJobView[]; cursor?: string }>('/api/jobs', {
    owner: search.owner,
    status: search.status,
    tag: search.tag,
    from: search.from ? new Date(search.from).toISOString() : undefined,
    to: search.to ? new Date(search.to).toISOString() : undefined,
  });
  const statusSelect = h(
    'select',
    { name: 'status' },
    ...['', 'created', 'queued', 'processing', 'completed', 'failed'].map((s) =>
      h('option', { value: s, selected: s === (search.status ?? '') }, s || 'any status'),
    ),
  );
  const form = h(
    'form',
    { class: 'search-form', role: 'search', 'aria-label': 'Search jobs' },
    field('owner', 'Owner', search.owner),
    h('label', { class: 'field' }, h('span', {}, 'Status'), statusSelect),
    field('tag', 'Tag', search.tag),
    field('from', 'Created from', search.from, 'date'),
    field('to', 'Created before', search.to, 'date'),
    h('button', { type: 'submit', class: 'button' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const value = (name: string) => String(data.get(name) ?? '').trim() || undefined;
    onSearch({
      owner: value('owner'),
      status: value('status'),
      tag: value('tag'),
      from: value('from'),
      to: value('to'),
    });
  });
  const rows = page.items.map((job) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: `#job/${encodeURIComponent(job.id)}` }, job.id)),
      h('td', {}, job.owner ?? '—'),
      h('td', {}, h('span', { class: `status status-${job.status}` }, job.status)),
      h('td', {}, `${job.progress.done} / ${job.progress.total}`),
      h('td', {}, job.tags.join(', ')),
      h('td', {}, new Date(job.createdAt).toLocaleString()),
    ),
  );
  root.replaceChildren(
    h('h1', { class: 'card-title' }, 'Jobs across owners'),
    form,
    page.items.length
      ? h(
          'table',
          { class: 'data-table' },
          h('caption', {}, `${page.items.length}${page.cursor ? '+' : ''} jobs, newest first`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Job', 'Owner', 'Status', 'Variants', 'Tags', 'Created'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h('tbody', {}, ...rows),
        )
      : h('p', { role: 'status' }, 'No job matches.'),
  );
};

/**
 * One job: its event timeline (timestamps, durations between events) and a chart of variants done over time.
 * Resolves to the job's status, so that the page can keep itself fresh.
 */
export const renderJob = async (api: ConsoleApi, root: HTMLElement, jobId: string): Promise<string> => {
  const path = `/api/jobs/${encodeURIComponent(jobId)}`;
  const job = await api.get<AdminJobView>(path);
  const events: StoredEventView[] = [];
  for (let after = 0; ; ) {
    const page = await api.get<{ events: StoredEventView[]; next?: number } | StoredEventView[]>(`${path}/events`, {
      after: String(after),
      limit: '1000',
    });
    const batch = Array.isArray(page) ? page : page.events;
    events.push(...batch);
    const last = batch.at(-1);
    if (Array.isArray(page) || !last || batch.length < 1000) break;
    after = last.seq;
  }
  const timeline = timelineOf(events);
  root.replaceChildren(
    h('p', {}, h('a', { href: '#jobs' }, '← All jobs')),
    h('h1', { class: 'card-title' }, `Job ${job.id}`),
    h(
      'p',
      { role: 'status', id: 'job-status', 'data-status': job.status },
      `${job.status}, ${job.progress.done} of ${job.progress.total} variants, owner ${job.owner ?? '—'}, created ${new Date(job.createdAt).toLocaleString()}`,
    ),
    h('h2', {}, 'Variants done over time'),
    lineChart([{ label: 'variants done', className: 'series-0', points: variantsOverTime(events) }], {
      title: `Variants done over time for job ${job.id}`,
      formatX: (ms) => new Date(ms).toISOString().slice(11, 19),
    }),
    h('h2', {}, 'Event timeline'),
    h(
      'ol',
      { class: 'timeline' },
      ...timeline.map((entry) =>
        h(
          'li',
          { class: `timeline-entry event-${entry.type}` },
          h('span', { class: 'timeline-type' }, `${entry.seq}. ${entry.type}`),
          h('time', { datetime: entry.at }, new Date(entry.at).toISOString().slice(11, 23)),
          h('span', { class: 'timeline-gap' }, entry.seq === 1 ? 'start' : `+${formatDuration(entry.sincePreviousMs)}`),
          entry.detail ? h('span', { class: 'timeline-detail' }, entry.detail) : null,
        ),
      ),
    ),
  );
  return job.status;
};
