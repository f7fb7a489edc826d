import { h } from '../dom.js';
import { confirmAction } from './confirm.js';
import type { ConsoleApi } from './console-api.js';
import type { DeadLetterView, RedriveTaskView } from './types.js';

export interface ConsoleActions {
  /** Shows an outcome to the operator (and to screen readers). */
  announce(message: string): void;
  /** Re-renders the current page. */
  refresh(): void;
}

const queuePath = (queue: string) => `/api/queues/${encodeURIComponent(queue)}`;

/** The last "redrive all" outcome per queue, kept across the page's re-renders until the page is reloaded. */
const lastTaskOutcome = new Map<string, string>();

/** The dead letters page: every message with its job, source, owner, reason and receive count, and actions. */
export const renderDeadLetters = async (
  api: ConsoleApi,
  root: HTMLElement,
  queue: string,
  actions: ConsoleActions,
): Promise<void> => {
  const { messages } = await api.get<{ messages: DeadLetterView[] }>(`${queuePath(queue)}/messages`, { max: '100' });
  const selected = new Set<string>();
  const selectionText = h('span', { id: 'selection-count' }, 'none selected');
  const redriveSelected = h('button', { type: 'button', class: 'button', disabled: true }, 'Redrive selected');
  const updateSelection = () => {
    selectionText.textContent = selected.size ? `${selected.size} selected` : 'none selected';
    redriveSelected.disabled = selected.size === 0;
  };

  const redrive = async (ids: readonly string[], what: string) => {
    const ok = await confirmAction(
      `Redrive ${what}?`,
      `${ids.length} message${ids.length === 1 ? '' : 's'} will move from ${queue} back to the upload queue and be processed again.`,
      'Redrive',
    );
    if (!ok) return;
    const result = await api.post<{ moved: number }>(`${queuePath(queue)}/redrive`, { messageIds: ids });
    actions.announce(`Redriven ${result.moved} of ${ids.length} message${ids.length === 1 ? '' : 's'}.`);
    actions.refresh();
  };

  const rows = messages.map((m) => {
    const box = h('input', { type: 'checkbox', 'aria-label': `Select message ${m.messageId}` });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(m.messageId);
      else selected.delete(m.messageId);
      updateSelection();
    });
    const redriveOne = h('button', { type: 'button', class: 'button small' }, 'Redrive');
    redriveOne.addEventListener(
      'click',
      () => void redrive([m.messageId], `message ${m.messageId}`).catch(report(actions)),
    );
    const deleteOne = h('button', { type: 'button', class: 'button small ghost danger-text' }, 'Delete');
    deleteOne.addEventListener(
      'click',
      () =>
        void (async () => {
          const ok = await confirmAction(
            `Delete message ${m.messageId}?`,
            `The message will be removed from ${queue} for good${m.jobId ? `; job ${m.jobId} keeps its source marked dead-lettered` : ''}.`,
            'Delete',
          );
          if (!ok) return;
          await api.delete(`${queuePath(queue)}/messages/${encodeURIComponent(m.messageId)}`);
          actions.announce(`Deleted message ${m.messageId}.`);
          actions.refresh();
        })().catch(report(actions)),
    );
    return h(
      'tr',
      { 'data-message': m.messageId },
      h('td', {}, box),
      h(
        'td',
        {},
        m.thumbnail ? h('img', { src: api.url(m.thumbnail), alt: '', width: 48, height: 48, loading: 'lazy' }) : '',
      ),
      h('td', {}, m.jobId ? h('a', { href: `#job/${encodeURIComponent(m.jobId)}` }, m.jobId) : m.kind),
      h('td', {}, m.sourceName ?? m.sourceId ?? '—'),
      h('td', {}, m.owner ?? '—'),
      h('td', { class: 'reason' }, m.failureReason ?? '—'),
      h('td', {}, m.receiveCount),
      h('td', { class: 'actions' }, redriveOne, deleteOne),
    );
  });

  redriveSelected.addEventListener(
    'click',
    () => void redrive([...selected], 'the selected messages').catch(report(actions)),
  );
  const redriveAll = h('button', { type: 'button', class: 'button' }, 'Redrive all');
  const taskStatus = h('p', { id: 'redrive-task', role: 'status' }, lastTaskOutcome.get(queue) ?? '');
  redriveAll.addEventListener(
    'click',
    () =>
      void (async () => {
        const ok = await confirmAction(
          `Redrive every message of ${queue}?`,
          `A background task will move all ${messages.length}${messages.length >= 100 ? '+' : ''} messages of ${queue} back to the upload queue in batches; you can watch its progress here.`,
          'Redrive all',
        );
        if (!ok) return;
        let task = await api.post<RedriveTaskView>(`${queuePath(queue)}/redrive-task`, {});
        while (task.state === 'running' || task.state === 'idle') {
          taskStatus.textContent = `Redrive all: ${task.state}, ${task.moved} moved${task.remaining !== undefined ? `, ${task.remaining} left` : ''}`;
          await new Promise((resolve) => setTimeout(resolve, 500));
          task = await api.get<RedriveTaskView>(`${queuePath(queue)}/redrive-task`);
        }
        const outcome = `Redrive all ${task.state}: ${task.moved} moved${task.error ? ` (${task.error})` : ''}`;
        lastTaskOutcome.set(queue, outcome);
        taskStatus.textContent = outcome;
        actions.announce(outcome);
        actions.refresh();
      })().catch(report(actions)),
  );
  const purge = h('button', { type: 'button', class: 'button danger' }, 'Purge');
  purge.addEventListener(
    'click',
    () =>
      void (async () => {
        const ok = await confirmAction(
          `Purge ${queue}?`,
          `Every message of ${queue} (${messages.length}${messages.length >= 100 ? '+' : ''}) will be deleted for good. Their jobs stay as they are.`,
          'Purge',
        );
        if (!ok) return;
        await api.post(`${queuePath(queue)}/purge`, {});
        actions.announce(`Purged ${queue}.`);
        actions.refresh();
      })().catch(report(actions)),
  );

  const table = messages.length
    ? h(
        'table',
        { class: 'data-table' },
        h('caption', {}, `${messages.length} dead-lettered message${messages.length === 1 ? '' : 's'} in ${queue}`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['', 'Source', 'Job', 'File', 'Owner', 'Why it failed', 'Receives', 'Actions'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        h('tbody', {}, ...rows),
      )
    : h('p', { class: 'state state-ok', role: 'status' }, `${queue} is empty: nothing has been dead-lettered.`);
  root.replaceChildren(
    h('h1', { class: 'card-title' }, `Dead letters: ${queue}`),
    h('div', { class: 'toolbar' }, selectionText, redriveSelected, redriveAll, purge),
    taskStatus,
    table,
  );
};

export const report =
  (actions: ConsoleActions) =>
  (error: unknown): void =>
    actions.announce(`Failed: ${error instanceof Error ? error.message : String(error)}`);
