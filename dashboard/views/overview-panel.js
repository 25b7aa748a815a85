// views/overview-panel.js: the supervisor's live overview (GET /api/overview): per team the
// queue, the longest wait, who is online, active chats and free capacity, whether it is open;
// and today's totals. Refreshed when sessions or agents change (debounced) and every 10 s.

import { h, reconcile, replaceChildren } from '../dom.js';
import { duration } from '../format.js';
import * as api from '../api.js';

const REFRESH_MS = 10000;
const DEBOUNCE_MS = 400;

function teamRow(team) {
  const tr = h('tr', { 'data-testid': 'overview-team' });
  fillTeamRow(tr, team);
  return tr;
}

function fillTeamRow(tr, t) {
  const sig = JSON.stringify(t);
  if (tr._sig === sig) return tr;
  tr._sig = sig;
  tr.dataset.teamId = String(t.id);
  replaceChildren(tr,
    h('th', { scope: 'row' }, t.name, t.open_now ? null : h('span', { class: 'chip chip--closed', title: 'Outside business hours' }, 'closed')),
    h('td', { 'data-testid': 'overview-waiting' }, String(t.waiting)),
    h('td', {}, t.waiting > 0 ? duration(t.longest_wait_seconds * 1000) : '–'),
    h('td', { title: `${t.agents_online} online, ${t.agents_away} away, ${t.agents_offline} offline` },
      `${t.agents_online}/${t.agents_online + t.agents_away + t.agents_offline}`),
    h('td', {}, String(t.active_chats)),
    h('td', { 'data-testid': 'overview-free' }, String(t.free_capacity)));
  return tr;
}

export class OverviewPanel {
  constructor() {
    this.body = h('tbody', {});
    this.today = h('p', { class: 'overview-today', 'data-testid': 'overview-today' });
    this.error = h('p', { class: 'list-status is-error', role: 'status', hidden: true });
    this.el = h('section', { class: 'overview-panel', 'data-testid': 'overview-panel', 'aria-labelledby': 'overview-heading' },
      h('div', { class: 'panel-heading' }, h('h2', { id: 'overview-heading' }, 'Overview')),
      h('table', { class: 'overview-table' },
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Team'), h('th', { scope: 'col', title: 'Waiting' }, 'Wait.'),
          h('th', { scope: 'col', title: 'Longest wait' }, 'Longest'), h('th', { scope: 'col', title: 'Online / members' }, 'On'),
          h('th', { scope: 'col', title: 'Active chats' }, 'Chats'), h('th', { scope: 'col', title: 'Free capacity' }, 'Free'))),
        this.body),
      this.today,
      this.error);
    this.timer = null;
    this.debounce = null;
    this.active = false;
  }

  start() {
    if (this.active) return;
    this.active = true;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  stop() {
    this.active = false;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
  }

  async refresh() {
    if (!this.active) return;
    try {
      const o = await api.overview();
      this.error.hidden = true;
      reconcile(this.body, o.teams || [], { key: (t) => t.id, create: teamRow, update: fillTeamRow });
      const d = o.today || {};
      this.today.textContent = `Today: ${d.sessions ?? 0} sessions, ${d.assigned ?? 0} assigned, ${d.missed ?? 0} missed` +
        (d.median_wait_seconds != null ? `, median wait ${duration(d.median_wait_seconds * 1000)}` : '');
    } catch (err) {
      this.error.textContent = `Could not load the overview: ${err.message}`;
      this.error.hidden = false;
    }
  }

  update(topics) {
    if (!this.active) return;
    if (!(topics.has('all') || topics.has('sessions') || topics.has('agents'))) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => this.refresh(), DEBOUNCE_MS);
  }
}
