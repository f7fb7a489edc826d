import { Announcer } from './announcer.js';
import { ApiClient, ApiError } from './api.js';
import { KeyStore } from './auth.js';
import { byId } from './dom.js';
import { Gallery } from './gallery.js';
import { JobCard } from './job-card.js';
import { type ConnectionState, LiveConnection } from './live.js';
import { PipelineControls } from './pipeline-controls.js';
import { PreviewStrip } from './preview-strip.js';
import { announcementFor, applyEvent, isJobTerminal, jobTitle, track, withView } from './progress.js';
import type { JobEventMessage, JobView } from './types.js';
import { UploadForm } from './upload-form.js';

/** Largest variant count the form offers (the gateway's MAX_VARIANTS default). */
const MAX_VARIANTS = 100;
/** A job with no live event for this long is re-read from the API (the WebSocket may be down or silent). */
const QUIET_MS = 4000;
/** Events after which the page re-reads the job from the API (throttled), to be exactly the server's view. */
const REFRESH_ON = new Set(['SourceFailed', 'SourceDeadLettered', 'ArchiveWritten', 'JobCompleted', 'JobFailed']);

const storage = (() => {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
})();
const keys = new KeyStore(storage);
const api = new ApiClient(keys);
const announcer = new Announcer(byId('live-region'));
const gallery = new Gallery(api);
const cards = new Map<string, JobCard>();
const grid = byId<HTMLUListElement>('job-grid');
const jobsError = byId('jobs-error');
const connection = byId('connection');
const loadMore = byId<HTMLButtonElement>('load-more');
const filterForm = byId<HTMLFormElement>('filter-form');
let cursor: string | undefined;
let connectionState: ConnectionState = 'closed';
let connectionTimer: ReturnType<typeof setTimeout> | undefined;
const refreshTimers = new Map<string, ReturnType<typeof setTimeout>>();
/** When each job last heard from the server (event or refresh), for the quiet-job poll. */
const lastHeard = new Map<string, number>();

const live = new LiveConnection(
  () => keys.withToken(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`),
  {
    onEvent: (event) => onLiveEvent(event),
    onState: (state) => onConnection(state),
    onError: (message, jobId) => {
      if (jobId) scheduleRefresh(jobId, 0);
      else showJobsError(`Live updates: ${message}`);
    },
  },
);

const showJobsError = (message: string | undefined): void => {
  jobsError.textContent = message ?? '';
  jobsError.hidden = !message;
};

const activeJobs = (): JobCard[] => [...cards.values()].filter((card) => !isJobTerminal(card.tracked.view));

/** Adds a job to the grid, or refreshes its card; follows it live until it ends. */
const showJob = (view: JobView, where: 'top' | 'bottom'): JobCard => {
  const existing = cards.get(view.id);
  if (existing) {
    existing.update(withView(existing.tracked, view));
    return existing;
  }
  const card = new JobCard(track(view), api, { openGallery, remove: removeJob });
  cards.set(view.id, card);
  if (where === 'top') grid.prepend(card.element);
  else grid.append(card.element);
  byId('jobs-empty').hidden = true;
  lastHeard.set(view.id, Date.now());
  if (!isJobTerminal(view)) live.subscribe(view.id, 0);
  return card;
};

const updateCard = (card: JobCard, next: ReturnType<typeof withView>): void => {
  const before = card.tracked.view;
  card.update(next);
  gallery.update(next);
  const message = announcementFor(before, next.view);
  if (message) announcer.say(message);
  if (isJobTerminal(next.view)) live.unsubscribe(next.view.id);
};

const onLiveEvent = (event: JobEventMessage): void => {
  const card = cards.get(event.jobId);
  if (!card) return;
  lastHeard.set(event.jobId, Date.now());
  const gap = event.seq > card.tracked.lastSeq + 1 && card.tracked.lastSeq > 0;
  updateCard(card, applyEvent(card.tracked, event));
  if (gap || REFRESH_ON.has(event.type)) scheduleRefresh(event.jobId, 300);
};

/** Re-reads a job from the API once, `delayMs` from now (calls in between are merged). */
const scheduleRefresh = (jobId: string, delayMs: number): void => {
  if (refreshTimers.has(jobId)) return;
  refreshTimers.set(
    jobId,
    setTimeout(async () => {
      refreshTimers.delete(jobId);
      const card = cards.get(jobId);
      if (!card) return;
      try {
        const view = await api.getJob(jobId);
        lastHeard.set(jobId, Date.now());
        updateCard(card, withView(card.tracked, view));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) dropCard(jobId);
      }
    }, delayMs),
  );
};

const onConnection = (state: ConnectionState): void => {
  connectionState = state;
  if (state === 'open') {
    clearTimeout(connectionTimer);
    connectionTimer = undefined;
    connection.hidden = true;
    return;
  }
  // Brief reconnects stay quiet; an outage longer than a few seconds is shown (active jobs are polled meanwhile).
  connectionTimer ??= setTimeout(() => {
    connectionTimer = undefined;
    if (connectionState === 'open' || activeJobs().length === 0) return;
    connection.textContent = 'Live updates are reconnecting… progress is refreshed every few seconds meanwhile.';
    connection.hidden = false;
  }, 3000);
};

// Safety net: a job that has been quiet for a while is re-read, so progress never freezes.
setInterval(() => {
  const now = Date.now();
  const active = activeJobs();
  if (active.length === 0) connection.hidden = true;
  for (const card of active) {
    const id = card.tracked.view.id;
    if (connectionState !== 'open' || now - (lastHeard.get(id) ?? 0) >= QUIET_MS) scheduleRefresh(id, 0);
  }
  // Webhook attempts are not job events: an ended job whose webhook is still on its way is re-read.
  for (const card of cards.values()) {
    const { view } = card.tracked;
    const hook = view.webhook?.status;
    if (isJobTerminal(view) && (hook === 'waiting' || hook === 'pending')) scheduleRefresh(view.id, 0);
  }
}, QUIET_MS / 2);

// Relative times ("5 min ago") stay true.
setInterval(() => {
  for (const card of cards.values()) card.update(card.tracked);
}, 60_000);

const dropCard = (jobId: string): void => {
  const card = cards.get(jobId);
  if (!card) return;
  live.unsubscribe(jobId);
  card.element.remove();
  cards.delete(jobId);
  lastHeard.delete(jobId);
  byId('jobs-empty').hidden = cards.size > 0;
};

const removeJob = async (jobId: string): Promise<void> => {
  const card = cards.get(jobId);
  const title = card ? jobTitle(card.tracked.view) : jobId;
  try {
    await api.deleteJob(jobId);
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) {
      handleApiError(error, `Could not delete ${title}`);
      return;
    }
  }
  const next = card?.element.nextElementSibling ?? card?.element.previousElementSibling;
  dropCard(jobId);
  announcer.say(`${title} deleted`);
  (next?.querySelector<HTMLElement>('button:not([hidden]), a:not([hidden])') ?? byId('jobs-title')).focus();
};

const openGallery = (jobId: string, opener: HTMLElement): void => {
  const card = cards.get(jobId);
  if (card) gallery.open(card.tracked, opener);
};

const handleApiError = (error: unknown, context: string): void => {
  if (error instanceof ApiError && error.status === 401) askForKey();
  const message = error instanceof Error ? error.message : String(error);
  showJobsError(`${context}: ${message}`);
};

/** Loads the first page of jobs (reset) or the next one. */
const loadJobs = async (reset: boolean): Promise<void> => {
  const filter = new FormData(filterForm);
  grid.setAttribute('aria-busy', 'true');
  loadMore.disabled = true;
  try {
    const page = await api.listJobs({
      status: String(filter.get('status') ?? ''),
      tag: String(filter.get('tag') ?? '').trim(),
      cursor: reset ? undefined : cursor,
    });
    if (reset) for (const id of [...cards.keys()]) dropCard(id);
    for (const view of page.items) showJob(view, 'bottom');
    cursor = page.cursor;
    loadMore.hidden = !cursor;
    byId('jobs-empty').hidden = cards.size > 0;
    showJobsError(undefined);
  } catch (error) {
    handleApiError(error, 'Could not load your jobs');
  } finally {
    grid.setAttribute('aria-busy', 'false');
    loadMore.disabled = false;
  }
};

const loadPresets = async (): Promise<void> => {
  try {
    controls.setPresets(await api.presets());
  } catch (error) {
    controls.setPresets(undefined);
    if (error instanceof ApiError && error.status === 401) askForKey();
  }
};

// API key

const keyPanel = byId<HTMLDetailsElement>('api-key-panel');
const keyInput = byId<HTMLInputElement>('api-key');
const keySummary = byId('api-key-summary');
const showKeyState = (): void => {
  keySummary.textContent = keys.value ? 'API key ✓' : 'API key';
  keyInput.value = keys.value;
};
const askForKey = (): void => {
  keyPanel.open = true;
  keyInput.focus();
};
const applyKey = (value: string): void => {
  keys.set(value);
  showKeyState();
  keyPanel.open = false;
  announcer.say(value ? 'API key saved' : 'API key cleared');
  for (const card of cards.values()) card.refreshUrls();
  live.reconnect();
  void loadPresets();
  void loadJobs(true);
};
byId<HTMLFormElement>('api-key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  applyKey(keyInput.value);
});
byId('api-key-clear').addEventListener('click', () => applyKey(''));
showKeyState();

// Wiring

const controls = new PipelineControls(() => {
  form.clearPipelineError();
  strip.schedule();
});
const strip = new PreviewStrip({
  api,
  image: () => form.firstImage(),
  pipeline: () => controls.value(),
  seed: () => form.seedValue(),
});
const form = new UploadForm({
  api,
  pipeline: () => controls.value(),
  onInputChange: () => strip.schedule(),
  maxVariants: MAX_VARIANTS,
  announce: (message) => announcer.say(message),
  onAuthNeeded: askForKey,
  onCreated: (view) => {
    const card = showJob(view, 'top');
    card.element.classList.add('fresh');
    setTimeout(() => card.element.classList.remove('fresh'), 4000);
  },
});

filterForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void loadJobs(true);
});
loadMore.addEventListener('click', () => void loadJobs(false));

void loadPresets();
void loadJobs(true);
