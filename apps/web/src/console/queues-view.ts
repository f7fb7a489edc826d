import { h } from '../dom.js';
import { lineChart, type Series } from './chart.js';
import type { ConsoleApi } from './console-api.js';
import type { ConsoleOverview } from './types.js';

const ageText = (seconds: number): string =>
  seconds < 60
    ? `${Math.round(seconds)} s`
    : seconds < 3600
      ? `${Math.round(seconds / 60)} min`
      : `${(seconds / 3600).toFixed(1)} h`;

/** The queues page: each queue's depth, in-flight, delayed, oldest age and DLQ, with charts of the last hour. */
export const renderQueues = async (api: ConsoleApi, root: HTMLElement): Promise<void> => {
  const overview = await api.get<ConsoleOverview>('/api/admin/overview');
  const alerting = overview.queues.filter((q) => q.alerts.length > 0);
  const rows = overview.queues.map((q) =>
    h(
      'tr',
      { class: q.alerts.length ? 'row-alert' : undefined, 'data-queue': q.name },
      h('th', { scope: 'row' }, q.name),
      h('td', {}, q.visible),
      h('td', {}, q.inFlight),
      h('td', {}, q.delayed),
      h('td', {}, ageText(q.oldestAgeSeconds)),
      h(
        'td',
        {},
        q.deadLetterQueue
          ? h(
              'a',
              { href: `#dead-letters/${encodeURIComponent(q.deadLetterQueue)}` },
              `${q.deadLetterQueueDepth ?? 0} in ${q.deadLetterQueue}`,
            )
          : '—',
      ),
      h('td', { class: 'alerts' }, q.alerts.length ? q.alerts.join('; ') : 'OK'),
    ),
  );
  const table = h(
    'table',
    { class: 'data-table', 'aria-describedby': 'queues-caption' },
    h('caption', { id: 'queues-caption' }, 'Queues now'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Queue', 'Visible', 'In flight', 'Delayed', 'Oldest', 'Dead letters', 'State'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h('tbody', {}, ...rows),
  );
  const status = h(
    'p',
    { class: alerting.length ? 'state state-alert' : 'state state-ok', role: 'status', id: 'queues-state' },
    alerting.length
      ? `Attention: ${alerting.map((q) => `${q.name} (${q.alerts.join('; ')})`).join(', ')}`
      : 'All queues healthy',
  );
  const depthSeries: Series[] = Object.entries(overview.history).map(([name, samples], i) => ({
    label: `${name} depth`,
    className: `series-${i % 4}`,
    points: samples.map((s) => [s.at, s.visible + s.inFlight + s.delayed] as const),
  }));
  const ageSeries: Series[] = Object.entries(overview.history).map(([name, samples], i) => ({
    label: `${name} oldest`,
    className: `series-${i % 4}`,
    points: samples.map((s) => [s.at, s.oldestAgeSeconds] as const),
  }));
  const per = overview.throughput.bucketSeconds;
  const buckets = overview.throughput.buckets;
  const throughputSeries: Series[] = [
    { label: 'variants / s', className: 'series-0', points: buckets.map((b) => [b.at, b.variants / per] as const) },
    {
      label: 'jobs started / min',
      className: 'series-1',
      points: buckets.map((b) => [b.at, (b.jobsStarted * 60) / per] as const),
    },
    {
      label: 'jobs completed / min',
      className: 'series-2',
      points: buckets.map((b) => [b.at, (b.jobsCompleted * 60) / per] as const),
    },
  ];
  root.replaceChildren(
    h('h1', { class: 'card-title' }, 'Queues'),
    status,
    table,
    h('h2', {}, 'Depth over the last hour'),
    lineChart(depthSeries, { title: 'Messages per queue over the last hour' }),
    h('h2', {}, 'Oldest message age over the last hour'),
    lineChart(ageSeries, {
      title: 'Age of the oldest message per queue over the last hour',
      formatY: (v) => ageText(v),
      threshold: overview.thresholds.oldestAgeSeconds,
    }),
    h('h2', {}, 'Throughput'),
    lineChart(throughputSeries, { title: 'Variants per second and jobs per minute over the last hour' }),
  );
};
