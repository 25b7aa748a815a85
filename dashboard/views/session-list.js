// views/session-list.js: the Waiting, My chats and All tabs. Waiting and My chats are derived
// from the store (so events update them directly); All is a server page (newest first) whose
// rows still update live from the store.

import { h, reconcile, replaceChildren } from '../dom.js';
import { store } from '../state.js';
import { createSessionItem, fillSessionItem } from './session-item.js';

const EMPTY = {
  waiting: ['No one is waiting', 'New customers who ask for a human appear here, oldest first.'],
  mine: ['No active chats', 'Accept a waiting customer to start a chat.'],
  all: ['No sessions yet', 'Every session, in any state, appears here.'],
};

export class SessionListView {
  constructor(ctx) {
    this.ctx = ctx;
    this.mode = null;
    this.list = h('ul', { class: 'session-list', 'aria-label': 'Sessions' });
    this.empty = h('div', { class: 'empty-state' });
    this.status = h('p', { class: 'list-status', role: 'status' });
    this.prev = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'all-prev', onclick: () => this.page(-1) }, 'Previous');
    this.next = h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'all-next', onclick: () => this.page(1) }, 'Next');
    this.pageInfo = h('span', { class: 'pager-info' });
    this.pager = h('div', { class: 'pager', role: 'group', 'aria-label': 'Pages' }, this.prev, this.pageInfo, this.next);
    this.teamFilter = h('select', { class: 'input input-small', id: 'queue-team-filter', 'data-testid': 'queue-team-filter' });
    this.teamFilter.addEventListener('change', () => this.render());
    this.filterBar = h('div', { class: 'queue-filter' },
      h('label', { for: 'queue-team-filter' }, 'Queue'), this.teamFilter);
    this.el = h('div', { class: 'session-list-view' }, this.filterBar, this.status, this.list, this.empty, this.pager);
  }

  setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    this.list._keyed = null;
    this.list.replaceChildren();
    this.list.setAttribute('aria-label', { waiting: 'Waiting customers', mine: 'My chats', all: 'All sessions' }[mode]);
    this.render();
  }

  /** The team filter of the Waiting tab: every team I work or that has a waiting session. */
  renderFilter() {
    this.filterBar.hidden = this.mode !== 'waiting';
    if (this.mode !== 'waiting') return;
    const teams = new Map((store.me?.teams || []).map((t) => [t.id, t.name]));
    for (const s of store.waitingSessions()) if (s.team_id != null) teams.set(s.team_id, s.team_name || `Team ${s.team_id}`);
    const list = [...teams].sort((a, b) => a[1].localeCompare(b[1]));
    const sig = JSON.stringify(list);
    if (this.teamFilter._sig === sig) return;
    this.teamFilter._sig = sig;
    const keep = this.teamFilter.value;
    this.teamFilter.replaceChildren(h('option', { value: '' }, 'All my queues'),
      ...list.map(([id, name]) => h('option', { value: String(id) }, name)));
    if ([...this.teamFilter.options].some((o) => o.value === keep)) this.teamFilter.value = keep;
  }

  sessions() {
    if (this.mode === 'waiting') {
      return store.waitingSessions(this.teamFilter.value ? Number(this.teamFilter.value) : null);
    }
    if (this.mode === 'mine') return store.myChats();
    return store.pages.all.ids.map((id) => store.session(id)).filter(Boolean);
  }

  render() {
    this.renderFilter();
    const items = this.sessions();
    reconcile(this.list, items, {
      key: (s) => s.id,
      create: (s) => createSessionItem(s, this.mode, this.ctx),
      update: (li, s) => fillSessionItem(li, s, this.mode, this.ctx),
    });
    const page = store.pages.all;
    const isAll = this.mode === 'all';
    const loading = isAll && page.state === 'loading' && items.length === 0;
    const error = isAll && page.state === 'error' ? page.error : null;
    this.status.textContent = loading ? 'Loading…' : error ? `Could not load sessions: ${error}` : '';
    this.status.hidden = !loading && !error;
    this.status.classList.toggle('is-error', !!error);
    const [title, hint] = EMPTY[this.mode] || ['', ''];
    this.empty.hidden = items.length > 0 || loading || !!error;
    replaceChildren(this.empty, h('p', { class: 'empty-title' }, title), h('p', { class: 'empty-hint' }, hint));
    this.pager.hidden = !isAll || page.total <= page.limit;
    if (isAll) {
      const from = page.total ? page.offset + 1 : 0;
      const to = Math.min(page.offset + page.limit, page.total);
      this.pageInfo.textContent = `${from}–${to} of ${page.total}`;
      this.prev.disabled = page.offset <= 0;
      this.next.disabled = page.offset + page.limit >= page.total;
    }
  }

  page(direction) {
    const page = store.pages.all;
    const offset = Math.max(0, page.offset + direction * page.limit);
    this.ctx.actions.loadAllPage(offset);
  }

  update(topics) {
    if (topics.has('all') || topics.has('sessions') || topics.has('messages') || topics.has('unread') ||
        topics.has('route') || topics.has('page:all') || topics.has('me')) {
      this.render();
    }
  }
}
