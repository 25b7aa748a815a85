// views/chat-tools.js: the agent tools of an open chat (issue 12): its labels (add with Enter,
// remove with ×), the composer's "Internal note" mode (notes are stored with the chat, shown to
// agents in their own style, never sent), and the canned-response picker: "/" at the start of
// the composer opens a filtered list (arrows move, Enter inserts, Esc closes) and
// {customer_name} / {agent_name} are filled in on insertion.

import { h, bidi, replaceChildren } from '../dom.js';
import { store } from '../state.js';
import * as api from '../api.js';

const LABEL_RE = /^[a-z0-9_-]{1,32}$/;

/** The canned text with its placeholders filled for `session` and the signed-in agent. */
export function fillPlaceholders(text, session, me) {
  const customer = session?.customer_name || session?.phone_number || '';
  return String(text)
    .replaceAll('{customer_name}', customer)
    .replaceAll('{agent_name}', me?.name || '');
}

export class ChatTools {
  /** `chat` is the ChatView: its textarea, session and render methods. */
  constructor(chat) {
    this.chat = chat;
    this.noteMode = false;
    this.canned = null; // loaded on first use
    this.pickerItems = [];
    this.pickerIndex = 0;

    // Labels.
    this.labelList = h('ul', { class: 'label-list', 'aria-label': 'Labels' });
    this.labelInput = h('input', {
      type: 'text', class: 'input label-input', 'data-testid': 'label-input', maxlength: '32',
      placeholder: 'Add a label', 'aria-label': 'Add a label', autocomplete: 'off', spellcheck: 'false',
    });
    this.labelError = h('span', { class: 'label-error', role: 'alert' });
    this.labelInput.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      e.preventDefault();
      this.addLabel(this.labelInput.value);
    });
    this.labelsEl = h('div', { class: 'labels-bar', 'data-testid': 'labels-bar' },
      this.labelList, this.labelInput, this.labelError);

    // Note mode.
    this.noteToggle = h('button', {
      type: 'button', class: 'btn btn-small note-toggle', 'data-testid': 'note-toggle', 'aria-pressed': 'false',
      title: 'Write an internal note: only agents see it', onclick: () => this.setNoteMode(!this.noteMode),
    }, 'Internal note');

    // Canned picker.
    this.picker = h('ul', { class: 'canned-picker', role: 'listbox', id: 'canned-picker', 'data-testid': 'canned-picker', hidden: true });
    const ta = chat.textarea;
    ta.setAttribute('aria-controls', 'canned-picker');
    // Capture phase: runs before the composer's own Enter-to-send handler.
    ta.addEventListener('keydown', (e) => this.onKey(e), true);
    ta.addEventListener('input', () => this.updatePicker());
    ta.addEventListener('blur', () => setTimeout(() => this.closePicker(), 150));
  }

  // --- labels -----------------------------------------------------------------------------
  render(session) {
    const labels = Array.isArray(session?.labels) ? session.labels : [];
    const sig = JSON.stringify([session?.id, labels]);
    if (this.labelList._sig === sig) return;
    this.labelList._sig = sig;
    replaceChildren(this.labelList, labels.map((l) => h('li', { class: 'label-chip', 'data-testid': 'label-chip', dataset: { label: l } },
      bidi('span', l),
      h('button', {
        type: 'button', class: 'label-remove', 'aria-label': `Remove label ${l}`,
        onclick: () => this.save(labels.filter((x) => x !== l)),
      }, '×'))));
  }

  addLabel(text) {
    const label = text.trim().toLowerCase();
    if (!label) return;
    if (!LABEL_RE.test(label)) {
      this.labelError.textContent = 'Labels are 1-32 of a-z, 0-9, _ and -.';
      return;
    }
    const s = this.chat.session;
    const labels = Array.isArray(s?.labels) ? s.labels : [];
    this.labelInput.value = '';
    if (!labels.includes(label)) this.save([...labels, label]);
  }

  async save(labels) {
    const id = this.chat.sessionId;
    this.labelError.textContent = '';
    try {
      store.upsertSession(await api.setLabels(id, labels));
    } catch (err) {
      this.labelError.textContent = err?.message || String(err);
    }
  }

  // --- note mode ----------------------------------------------------------------------------
  setNoteMode(on) {
    this.noteMode = on;
    this.noteToggle.setAttribute('aria-pressed', on ? 'true' : 'false');
    this.chat.composer.classList.toggle('is-note', on);
    this.chat.renderComposer();
    this.chat.textarea.focus();
  }

  // --- canned picker ------------------------------------------------------------------------
  async loadCanned() {
    if (this.canned) return this.canned;
    try {
      this.canned = (await api.cannedResponses()).canned_responses || [];
    } catch {
      this.canned = [];
    }
    return this.canned;
  }

  /** The "/query" the composer holds, or null. */
  query() {
    const m = /^\/([a-z0-9_-]*)$/.exec(this.chat.textarea.value);
    return m ? m[1] : null;
  }

  async updatePicker() {
    const q = this.query();
    if (q === null) {
      this.closePicker();
      return;
    }
    const all = await this.loadCanned();
    if (this.query() !== q) return; // typed on meanwhile
    this.pickerItems = all.filter((c) => c.shortcut.startsWith(q)).slice(0, 8);
    this.pickerIndex = 0;
    this.renderPicker();
  }

  renderPicker() {
    const items = this.pickerItems;
    this.picker.hidden = items.length === 0;
    this.chat.textarea.setAttribute('aria-expanded', items.length ? 'true' : 'false');
    replaceChildren(this.picker, items.map((c, i) => h('li', {
      role: 'option', class: 'canned-item', 'data-testid': 'canned-item', id: `canned-${c.id}`,
      'aria-selected': i === this.pickerIndex ? 'true' : 'false',
      onmousedown: (e) => {
        e.preventDefault();
        this.insert(c);
      },
    }, h('strong', {}, `/${c.shortcut}`), ' ', bidi('span', c.content, 'canned-text'))));
    const active = items[this.pickerIndex];
    if (active) this.chat.textarea.setAttribute('aria-activedescendant', `canned-${active.id}`);
    else this.chat.textarea.removeAttribute('aria-activedescendant');
  }

  closePicker() {
    if (this.picker.hidden) return;
    this.pickerItems = [];
    this.renderPicker();
  }

  onKey(e) {
    if (this.picker.hidden || this.pickerItems.length === 0) return;
    const n = this.pickerItems.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      this.pickerIndex = (this.pickerIndex + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      this.insert(this.pickerItems[this.pickerIndex]);
    } else if (e.key === 'Escape') {
      this.closePicker();
    } else {
      return;
    }
    e.preventDefault();
    e.stopImmediatePropagation();
    if (!this.picker.hidden) this.renderPicker();
  }

  insert(c) {
    const ta = this.chat.textarea;
    ta.value = fillPlaceholders(c.content, this.chat.session, store.me);
    this.closePicker();
    ta.dispatchEvent(new Event('input', { bubbles: true }));
    ta.focus();
    ta.setSelectionRange(ta.value.length, ta.value.length);
  }
}
