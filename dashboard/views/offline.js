// views/offline.js: the Offline tab: messages visitors left through the web chat widget's offline
// form (name, email, message), unhandled first, each with "Mark handled" (any agent).

import { h, replaceChildren } from '../dom.js';
import * as api from '../api.js';
import { fullDateTime, shortWhen } from '../format.js';

export class OfflineView {
  constructor(onCount) {
    this.onCount = onCount;
    this.showHandled = false;
    this.toggle = h('input', { type: 'checkbox', id: 'offline-show-handled', 'data-testid': 'offline-show-handled' });
    this.toggle.addEventListener('change', () => {
      this.showHandled = this.toggle.checked;
      this.load();
    });
    this.status = h('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
    this.list = h('ul', { class: 'offline-list', 'data-testid': 'offline-list', 'aria-label': 'Offline messages' });
    this.el = h('div', { class: 'offline-view' },
      h('label', { class: 'offline-filter', for: 'offline-show-handled' }, this.toggle, ' Show handled'),
      this.status, this.list);
  }

  /** Reads the list again (and the unhandled count for the tab). */
  async load() {
    try {
      const { offline_messages: open } = await api.offlineMessages(false);
      this.onCount(open.length);
      const items = this.showHandled ? (await api.offlineMessages()).offline_messages : open;
      this.status.textContent = items.length ? '' : 'No offline messages.';
      replaceChildren(this.list, items.map((m) => this.item(m)));
    } catch (err) {
      this.status.textContent = `Could not load offline messages: ${err.message}`;
    }
  }

  item(m) {
    const done = h('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'offline-handled', hidden: m.handled,
      'aria-label': `Mark the message from ${m.name} handled`,
      onclick: async () => {
        done.disabled = true;
        try {
          await api.markOfflineHandled(m.id);
        } finally {
          this.load();
        }
      },
    }, 'Mark handled');
    return h('li', { class: `offline-item${m.handled ? ' is-handled' : ''}`, 'data-testid': 'offline-item', dataset: { offlineId: m.id } },
      h('div', { class: 'offline-head' },
        h('strong', {}, m.name), ' ',
        h('a', { href: `mailto:${m.email}` }, m.email), ' ',
        h('time', { datetime: m.created_at, title: fullDateTime(m.created_at) }, shortWhen(m.created_at))),
      h('p', { class: 'offline-text' }, m.message),
      m.handled ? h('span', { class: 'chip' }, 'Handled') : done);
  }
}
