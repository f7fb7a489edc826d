import { h } from '../dom.js';
import type { ConsoleApi } from './console-api.js';
import type { OwnerUsageView } from './types.js';

const bytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 1024 ** 3
        ? `${(n / 1024 ** 2).toFixed(1)} MiB`
        : `${(n / 1024 ** 3).toFixed(2)} GiB`;

/** A usage cell: used of limit, with a meter, red at 90 % and above. */
const usageCell = (used: number, limit: number, format: (n: number) => string = String) => {
  if (limit <= 0) return h('td', {}, `${format(used)} (no limit)`);
  const ratio = used / limit;
  return h(
    'td',
    { class: ratio >= 0.9 ? 'usage usage-high' : 'usage' },
    h('meter', { min: 0, max: limit, value: Math.min(used, limit), high: limit * 0.9, 'aria-hidden': 'true' }),
    ` ${format(used)} of ${format(limit)}`,
  );
};

/** Owners and their usage against their quotas. */
export const renderOwners = async (api: ConsoleApi, root: HTMLElement): Promise<void> => {
  const { owners } = await api.get<{ owners: OwnerUsageView[] }>('/api/admin/owners');
  root.replaceChildren(
    h('h1', { class: 'card-title' }, 'Owners and quotas'),
    owners.length
      ? h(
          'table',
          { class: 'data-table' },
          h('caption', {}, 'Usage today (UTC) and storage now, against each owner’s quotas'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Owner', 'Jobs today', 'Variants today', 'Stored'].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            {},
            ...owners.map((o) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row' }, h('a', { href: `#jobs?owner=${encodeURIComponent(o.owner)}` }, o.owner)),
                usageCell(o.usage.jobsToday, o.limits.jobsPerDay),
                usageCell(o.usage.variantsToday, o.limits.variantsPerDay),
                usageCell(o.usage.bytesStored, o.limits.bytesStored, bytes),
              ),
            ),
          ),
        )
      : h('p', { role: 'status' }, 'No owner has jobs yet.'),
  );
};
