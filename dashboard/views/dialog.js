// views/dialog.js: an accessible confirmation: a modal <dialog> (the rest of the page is inert
// while it is open), focus starts on the safe choice and stays inside (Tab cycles), Esc and
// Cancel answer no. Resolves to true only for the confirming button.

import { h, uniqueId } from '../dom.js';

/** {title, body (string or nodes), confirm, cancel, danger} -> Promise<boolean> */
export function confirmDialog({ title, body, confirm = 'OK', cancel = 'Cancel', danger = false }) {
  return new Promise((resolve) => {
    const titleId = uniqueId('dialog-title');
    const bodyId = uniqueId('dialog-body');
    const no = h('button', { type: 'button', class: 'btn', 'data-testid': 'confirm-cancel' }, cancel);
    const yes = h('button', { type: 'button', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, 'data-testid': 'confirm-ok' }, confirm);
    const dialog = h('dialog', {
      class: 'confirm-dialog', 'data-testid': 'confirm-dialog', 'aria-labelledby': titleId, 'aria-describedby': bodyId,
    },
    h('h2', { id: titleId, class: 'dialog-title' }, title),
    h('div', { id: bodyId, class: 'dialog-body' }, body),
    h('div', { class: 'dialog-actions' }, no, yes));
    const opener = document.activeElement;
    let answered = false;
    const finish = (answer) => {
      if (answered) return;
      answered = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
      resolve(answer);
    };
    no.addEventListener('click', () => finish(false));
    yes.addEventListener('click', () => finish(true));
    dialog.addEventListener('cancel', (e) => { // Esc
      e.preventDefault();
      finish(false);
    });
    dialog.addEventListener('keydown', (e) => {
      if (e.key !== 'Tab') return;
      const items = [no, yes];
      const i = items.indexOf(document.activeElement);
      e.preventDefault();
      items[(i + (e.shiftKey ? items.length - 1 : 1)) % items.length].focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
