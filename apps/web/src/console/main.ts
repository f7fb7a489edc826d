import { ApiError } from '../api.js';
import { KeyStore } from '../auth.js';
import { byId } from '../dom.js';
import { ConsoleApi } from './console-api.js';
import { type ConsoleActions, renderDeadLetters } from './dead-letters-view.js';
import { type JobSearch, renderJob, renderJobs } from './jobs-view.js';
import { renderOwners } from './owners-view.js';
import { renderQueues } from './queues-view.js';

/** How often the queues page refreshes itself. */
const REFRESH_MS = 5000;
/** How often the page of a running job refreshes itself, until the job ends. */
const JOB_REFRESH_MS = 2000;

const storage = (() => {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
})();
const keys = new KeyStore(storage);
const api = new ConsoleApi(keys);
const view = byId('console-view');
const announcer = byId('console-announcer');
const keyForm = byId<HTMLFormElement>('console-key-form');
const keyInput = byId<HTMLInputElement>('console-key');
let timer: ReturnType<typeof setTimeout> | undefined;
let rendering = 0;

const announce = (message: string): void => {
  announcer.textContent = message;
};

const actions: ConsoleActions = { announce, refresh: () => void show() };

const searchFrom = (query: string): JobSearch => {
  const params = new URLSearchParams(query);
  const get = (name: string) => params.get(name) ?? undefined;
  return { owner: get('owner'), status: get('status'), tag: get('tag'), from: get('from'), to: get('to') };
};

const markCurrent = (page: string): void => {
  for (const link of document.querySelectorAll<HTMLAnchorElement>('.console-nav a')) {
    if (link.hash === `#${page}`) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
};

/** Renders the page the hash names: #queues, #dead-letters/<queue>, #jobs?owner=..., #job/<id>, #owners. */
const show = async (): Promise<void> => {
  clearTimeout(timer);
  const run = ++rendering;
  const [path = 'queues', query = ''] = location.hash.replace(/^#/, '').split('?');
  const [page = 'queues', arg] = path.split('/');
  markCurrent(page === 'job' ? 'jobs' : page);
  try {
    if (page === 'dead-letters') await renderDeadLetters(api, view, decodeURIComponent(arg ?? 'uploads-dlq'), actions);
    else if (page === 'jobs') {
      await renderJobs(api, view, searchFrom(query), (search) => {
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(search)) if (value) params.set(name, value);
        location.hash = `jobs${params.size ? `?${params}` : ''}`;
      });
    } else if (page === 'job' && arg) {
      const status = await renderJob(api, view, decodeURIComponent(arg));
      // A failed job comes back to work when its dead letters are redriven; a completed one stays done.
      const next = status === 'completed' ? undefined : status === 'failed' ? REFRESH_MS : JOB_REFRESH_MS;
      if (next !== undefined && run === rendering) timer = setTimeout(() => void show(), next);
    } else if (page === 'owners') await renderOwners(api, view);
    else {
      await renderQueues(api, view);
      if (run === rendering) timer = setTimeout(() => void show(), REFRESH_MS);
    }
  } catch (error) {
    if (run !== rendering) return;
    const message =
      error instanceof ApiError && (error.status === 401 || error.status === 403)
        ? 'The console needs the admin key: enter it above.'
        : `Could not load this page: ${error instanceof Error ? error.message : String(error)}`;
    view.replaceChildren(
      Object.assign(document.createElement('p'), { className: 'alert', role: 'alert', textContent: message }),
    );
    if (page === 'queues') timer = setTimeout(() => void show(), REFRESH_MS);
  }
};

keyInput.value = keys.value;
keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  keys.set(keyInput.value);
  announce(keys.value ? 'Admin key saved in this browser.' : 'Admin key cleared.');
  void show();
});
window.addEventListener('hashchange', () => void show());
void show();
