// views/agents-panel.js: the supervisor's team overview: every agent with status and load,
// and the queue length.

import { h, bidi, icon, reconcile, replaceChildren } from '../dom.js';
import { store } from '../state.js';
import { capitalize, STATUS_LABELS } from '../format.js';

const STATUS_ORDER = { online: 0, away: 1, offline: 2 };

function agentRow(agent) {
  const li = h('li', { class: 'agent-row', 'data-testid': 'agent-row' });
  fillAgentRow(li, agent);
  return li;
}

function fillAgentRow(li, agent) {
  const sig = JSON.stringify(agent);
  if (li._sig === sig) return li;
  li._sig = sig;
  li.dataset.agentId = String(agent.id);
  li.dataset.status = agent.status;
  const full = agent.max_chats > 0 && agent.active_chats >= agent.max_chats;
  const load = agent.max_chats > 0 ? Math.min(1, agent.active_chats / agent.max_chats) : 0;
  replaceChildren(li,
    h('span', { class: `status-dot status-dot--${agent.status}`, 'aria-hidden': 'true' }),
    h('span', { class: 'agent-main' },
      bidi('span', agent.name, 'agent-name'),
      h('span', { class: 'agent-sub' },
        h('span', { class: 'agent-status' }, STATUS_LABELS[agent.status] || agent.status),
        agent.role !== 'agent' ? h('span', { class: 'agent-role' }, ` · ${capitalize(agent.role)}`) : null)),
    h('span', { class: `agent-load${full ? ' is-full' : ''}`, title: `${agent.active_chats} of ${agent.max_chats} chats` },
      h('span', { class: 'agent-load-text' }, `${agent.active_chats}/${agent.max_chats}`),
      h('span', { class: 'visually-hidden' }, ' active chats'),
      h('span', { class: 'load-bar', 'aria-hidden': 'true' },
        h('span', { class: 'load-bar-fill', style: `width:${Math.round(load * 100)}%` }))));
  return li;
}

export class AgentsPanel {
  constructor() {
    this.queue = h('strong', { 'data-testid': 'queue-length' }, '0');
    this.summary = h('span', { class: 'agents-summary' });
    this.list = h('ul', { class: 'agent-list', id: 'agent-list', 'aria-label': 'Agents' });
    this.toggle = h('button', {
      type: 'button', class: 'panel-collapse', 'aria-controls': 'agent-list', 'data-testid': 'agents-toggle',
      onclick: () => this.setCollapsed(this.toggle.getAttribute('aria-expanded') === 'true', true),
    }, icon('back', 'chevron'), 'Team');
    this.el = h('section', { class: 'agents-panel', 'data-testid': 'agents-panel', 'aria-labelledby': 'agents-heading' },
      h('div', { class: 'panel-heading' },
        h('h2', { id: 'agents-heading' }, this.toggle),
        h('span', { class: 'queue-length' }, 'Queue ', this.queue)),
      this.summary,
      this.list);
    // Default: expanded, except on narrow screens where the list needs the room.
    let collapsed = window.matchMedia('(max-width: 720px)').matches;
    try {
      const saved = localStorage.getItem('handoffd.teamCollapsed');
      if (saved !== null) collapsed = saved === '1';
    } catch {
      // keep the default
    }
    this.setCollapsed(collapsed);
    this.render();
  }

  setCollapsed(collapsed, remember = false) {
    this.toggle.setAttribute('aria-expanded', collapsed ? 'false' : 'true');
    this.el.classList.toggle('is-collapsed', collapsed);
    if (!remember) return;
    try {
      localStorage.setItem('handoffd.teamCollapsed', collapsed ? '1' : '0');
    } catch {
      // not persisted
    }
  }

  render() {
    const agents = [...store.agents.values()].sort((a, b) =>
      (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3) || a.name.localeCompare(b.name));
    reconcile(this.list, agents, { key: (a) => a.id, create: agentRow, update: fillAgentRow });
    const waiting = store.waitingSessions().length;
    this.queue.textContent = String(waiting);
    this.queue.parentElement.setAttribute('aria-label', `${waiting} ${waiting === 1 ? 'customer' : 'customers'} waiting`);
    const online = agents.filter((a) => a.status === 'online');
    const free = online.reduce((n, a) => n + Math.max(0, a.max_chats - a.active_chats), 0);
    this.summary.textContent = agents.length
      ? `${online.length} online · ${free} free ${free === 1 ? 'slot' : 'slots'}`
      : 'Loading agents…';
  }

  update(topics) {
    if (topics.has('agents') || topics.has('sessions') || topics.has('all')) this.render();
  }
}
