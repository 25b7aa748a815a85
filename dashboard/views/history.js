// views/history.js: the History tab: search by phone, name or message text, filter by status,
// agent and date range (UTC days on created_at, inclusive), paginated. Filters apply as they
// change (text after a short pause); the Search button applies them at once.

import { h, reconcile, uniqueId } from '../dom.js';
import { store, isSupervisor } from '../state.js';
import { createSessionItem, fillSessionItem } from './session-item.js';

export const HISTORY_PAGE_SIZE = 50;

function field(labelText, control) {
  const id = control.id || uniqueId('f');
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, labelText), control);
}

export class HistoryView {
  constructor(ctx) {
    this.ctx = ctx;
    this.search = h('input', {
      type: 'search', class: 'input', 'data-testid': 'history-search', placeholder: 'Phone, name or message text',
      autocomplete: 'off', spellcheck: 'false',
    });
    this.status = h('select', { class: 'input', 'data-testid': 'history-status' },
      h('option', { value: '' }, 'Any status'),
      h('option', { value: 'waiting' }, 'Waiting'),
      h('option', { value: 'active' }, 'Active'),
      h('option', { value: 'ended' }, 'Ended'));
    this.agent = h('select', { class: 'input', 'data-testid': 'history-agent' });
    this.from = h('input', { type: 'date', class: 'input', 'data-testid': 'history-from' });
    this.to = h('input', { type: 'date', class: 'input', 'data-testid': 'history-to' });
    this.label = h('input', {
      type: 'text', class: 'input', 'data-testid': 'history-label', placeholder: 'e.g. billing',
      autocomplete: 'off', spellcheck: 'false', maxlength: '32',
    });
    this.error = h('p', { class: 'form-error', role: 'alert' });

    this.form = h('form', { class: 'history-filters', role: 'search', 'aria-label': 'Search history', novalidate: true },
      field('Search', this.search),
      h('div', { class: 'field-row' }, field('Status', this.status), field('Agent', this.agent)),
      h('div', { class: 'field-row' }, field('From', this.from), field('To', this.to)),
      field('Label', this.label),
      this.error,
      h('div', { class: 'form-actions' },
        h('button', { type: 'submit', class: 'btn btn-primary btn-small', 'data-testid': 'history-submit' }, 'Search'),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'history-clear', onclick: () => this.clear() }, 'Clear')));

    this.summary = h('p', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
    this.list = h('ul', { class: 'session-list', 'aria-label': 'History results' });
    this.prev = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'history-prev', onclick: () => this.page(-1) }, 'Previous');
    this.next = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'history-next', onclick: () => this.page(1) }, 'Next');
    this.pageInfo = h('span', { class: 'pager-info' });
    this.pager = h('div', { class: 'pager', role: 'group', 'aria-label': 'History pages' }, this.prev, this.pageInfo, this.next);
    this.el = h('div', { class: 'history-view' }, this.form, this.summary, this.list, this.pager);

    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.apply();
    });
    let timer = null;
    this.search.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.apply(), 350);
    });
    for (const control of [this.status, this.agent, this.from, this.to, this.label]) {
      control.addEventListener('change', () => this.apply());
    }
    this.renderAgents();
  }

  params() {
    const p = {
      search: this.search.value.trim(),
      status: this.status.value,
      agent_id: this.agent.value,
      start_date: this.from.value,
      end_date: this.to.value,
      label: this.label.value.trim().toLowerCase(),
    };
    return p;
  }

  apply(offset = 0) {
    const p = this.params();
    if (p.start_date && p.end_date && p.start_date > p.end_date) {
      this.error.textContent = '"From" must be on or before "To".';
      return;
    }
    this.error.textContent = '';
    this.ctx.actions.loadHistory(p, offset);
  }

  clear() {
    this.search.value = '';
    this.status.value = '';
    this.from.value = '';
    this.to.value = '';
    this.label.value = '';
    if (!this.agent.disabled) this.agent.value = '';
    this.apply();
  }

  page(direction) {
    const page = store.pages.history;
    this.apply(Math.max(0, page.offset + direction * page.limit));
  }

  /** Loads the first page when the tab opens for the first time. */
  ensureLoaded() {
    if (store.pages.history.state === 'idle') this.apply();
  }

  renderAgents() {
    const me = store.me;
    const selected = this.agent.value;
    const options = [];
    if (isSupervisor(me)) {
      options.push(h('option', { value: '' }, 'Any agent'));
      const agents = [...store.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
      for (const a of agents) options.push(h('option', { value: String(a.id) }, a.name));
      this.agent.disabled = false;
    } else {
      // Agents only ever see their own sessions in history (API.md).
      options.push(h('option', { value: '' }, me ? `Only my chats` : 'Any agent'));
      this.agent.disabled = true;
    }
    this.agent.replaceChildren(...options);
    if ([...this.agent.options].some((o) => o.value === selected)) this.agent.value = selected;
  }

  render() {
    const page = store.pages.history;
    const items = page.ids.map((id) => store.session(id)).filter(Boolean);
    reconcile(this.list, items, {
      key: (s) => s.id,
      create: (s) => createSessionItem(s, 'history', this.ctx),
      update: (li, s) => fillSessionItem(li, s, 'history', this.ctx),
    });
    if (page.state === 'loading') this.summary.textContent = 'Searching…';
    else if (page.state === 'error') this.summary.textContent = `Search failed: ${page.error}`;
    else if (page.state === 'idle') this.summary.textContent = '';
    else if (page.total === 0) this.summary.textContent = 'No sessions match these filters.';
    else this.summary.textContent = `${page.offset + 1}–${Math.min(page.offset + page.limit, page.total)} of ${page.total} sessions`;
    this.summary.classList.toggle('is-error', page.state === 'error');
    this.pager.hidden = page.total === 0 && page.offset === 0;
    this.prev.disabled = page.offset <= 0 || page.state === 'loading';
    this.next.disabled = page.offset + page.limit >= page.total || page.state === 'loading';
    const pages = Math.max(1, Math.ceil(page.total / page.limit));
    this.pageInfo.textContent = `Page ${Math.floor(page.offset / page.limit) + 1} of ${pages}`;
  }

  update(topics) {
    if (topics.has('agents') || topics.has('me')) this.renderAgents();
    if (topics.has('page:history') || topics.has('sessions') || topics.has('unread') || topics.has('route') || topics.has('all')) {
      this.render();
    }
  }
}
