import { h } from '../dom.js';

/**
 * Asks for confirmation in a modal <dialog> that names what will happen. Resolves true on "confirm";
 * Escape, the cancel button or closing the dialog resolve false. Focus returns to where it was.
 */
export const confirmAction = (title: string, consequence: string, confirmLabel: string): Promise<boolean> => {
  const returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : undefined;
  const confirm = h('button', { type: 'submit', value: 'confirm', class: 'button danger' }, confirmLabel);
  const cancel = h('button', { type: 'submit', value: 'cancel', class: 'button ghost' }, 'Cancel');
  const dialog = h(
    'dialog',
    { class: 'confirm-dialog', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
    h(
      'form',
      { method: 'dialog' },
      h('h2', { id: 'confirm-title' }, title),
      h('p', { id: 'confirm-text' }, consequence),
      h('div', { class: 'dialog-actions' }, cancel, confirm),
    ),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      returnFocus?.focus();
      resolve(dialog.returnValue === 'confirm');
    });
    dialog.showModal();
    cancel.focus();
  });
};
