// views/new-conversation.js: "New conversation" (issue 8): reach a customer on WhatsApp who has
// not written, or whose 24-hour window has closed. A modal asks for the number; handoffd opens a
// waiting session for it (POST .../start/{phone_number}, nothing is sent yet) and the chat opens
// with the template picker (views/composer-media.js), the only thing WhatsApp allows to send.

import { h, uniqueId } from '../dom.js';
import { store } from '../state.js';
import * as api from '../api.js';

/** The sidebar's button; `open(id)` shows a session (the router). */
export function newConversationButton(open) {
  return h('button', {
    type: 'button', class: 'btn btn-small new-conversation', 'data-testid': 'new-conversation',
    onclick: () => newConversationDialog(open),
  }, 'New conversation');
}

function newConversationDialog(open) {
  const titleId = uniqueId('new-title');
  const inputId = uniqueId('new-phone');
  const input = h('input', {
    type: 'tel', class: 'input', id: inputId, 'data-testid': 'new-conversation-phone', inputmode: 'numeric',
    autocomplete: 'off', placeholder: 'e.g. 4915112345678', maxlength: '20',
  });
  const error = h('p', { class: 'composer-error', role: 'alert' });
  const cancel = h('button', { type: 'button', class: 'btn' }, 'Cancel');
  const start = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'new-conversation-start' }, 'Start');
  const form = h('form', { method: 'dialog' },
    h('h2', { id: titleId, class: 'dialog-title' }, 'New conversation'),
    h('div', { class: 'dialog-body' },
      h('label', { for: inputId }, 'WhatsApp number (country code and number, digits only)'), input,
      h('p', { class: 'muted' }, 'Only an approved template can be sent until the customer answers.'), error),
    h('div', { class: 'dialog-actions' }, cancel, start));
  const dialog = h('dialog', { class: 'confirm-dialog', 'data-testid': 'new-conversation-dialog', 'aria-labelledby': titleId }, form);
  const opener = document.activeElement;
  const close = () => {
    if (dialog.open) dialog.close();
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  };
  cancel.addEventListener('click', close);
  dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(); });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const phone = input.value.replace(/[\s+()-]/g, '');
    if (!/^\d{6,15}$/.test(phone)) {
      error.textContent = 'Enter 6 to 15 digits: the country code and the number.';
      return;
    }
    start.disabled = true;
    error.textContent = '';
    try {
      const s = await api.startSession(phone);
      store.upsertSession(s);
      close();
      open(s.id);
    } catch (err) {
      error.textContent = err?.status === 409 ? 'This customer already has an open chat.' : `Not started: ${err?.message || err}`;
      start.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}
