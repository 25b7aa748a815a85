// views/routing-bar.js: under the chat header, the routing actions of an active chat: Decline
// (the assigned agent, before its first reply: back to the front of the queue) and Transfer to a
// colleague or another team's queue, with an internal note the next agent reads.

import { h, replaceChildren, uniqueId } from '../dom.js';
import { store, isSupervisor } from '../state.js';
import { STATUS_LABELS } from '../format.js';
import * as api from '../api.js';

export class RoutingBar {
  constructor(ctx) {
    this.ctx = ctx;
    this.teams = null; // [TEAM], loaded when first needed
    this.busy = false;
    const selectId = uniqueId('transfer-target');
    const noteId = uniqueId('transfer-note');
    this.decline = h('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'decline',
      title: 'Give this chat back to the queue; it will not be offered to you again',
      onclick: () => this.onDecline(),
    }, 'Decline');
    this.target = h('select', { class: 'input input-small', id: selectId, 'data-testid': 'transfer-target' });
    this.note = h('input', {
      class: 'input input-small', id: noteId, 'data-testid': 'transfer-note', maxlength: '500',
      placeholder: 'Note for the next agent (optional)',
    });
    this.transfer = h('button', {
      type: 'button', class: 'btn btn-small', 'data-testid': 'transfer-button', onclick: () => this.onTransfer(),
    }, 'Transfer');
    this.target.addEventListener('change', () => this.renderButtons());
    this.el = h('div', { class: 'routing-bar', role: 'group', 'aria-label': 'Decline or transfer', 'data-testid': 'routing-bar' },
      this.decline,
      h('label', { for: selectId, class: 'routing-label' }, 'Transfer to'), this.target,
      h('label', { for: noteId, class: 'visually-hidden' }, 'Transfer note'), this.note,
      this.transfer);
    this.el.hidden = true;
  }

  async loadTeams() {
    if (this.teams !== null || this.loading) return;
    this.loading = true;
    try {
      this.teams = (await api.teams()).teams || [];
    } catch {
      this.teams = [];
    } finally {
      this.loading = false;
    }
    this.render(this.session);
  }

  render(s) {
    this.session = s;
    const me = store.me;
    const mine = !!s && s.agent_id != null && s.agent_id === me?.id;
    const show = !!s && s.status === 'active' && (mine || isSupervisor(me));
    this.el.hidden = !show;
    if (!show) return;
    if (this.teams === null) this.loadTeams();
    this.decline.hidden = !mine;
    const agents = [...store.agents.values()].filter((a) => a.id !== s.agent_id)
      .sort((a, b) => a.name.localeCompare(b.name));
    const teams = (this.teams || []).filter((t) => t.id !== s.team_id);
    const sig = JSON.stringify([s.id, agents.map((a) => [a.id, a.name, a.status, a.active_chats, a.max_chats]),
      teams.map((t) => [t.id, t.name])]);
    if (this.target._sig !== sig) {
      const keep = this.target._sig && this.target._session === s.id ? this.target.value : '';
      this.target._sig = sig;
      this.target._session = s.id;
      replaceChildren(this.target,
        h('option', { value: '' }, 'Choose…'),
        h('optgroup', { label: 'Agents' }, agents.map((a) => h('option', { value: `agent:${a.id}` },
          `${a.name} — ${STATUS_LABELS[a.status] || a.status}, ${a.active_chats ?? 0}/${a.max_chats || '∞'}`))),
        h('optgroup', { label: 'Teams' }, teams.map((t) => h('option', { value: `team:${t.id}` }, `Team ${t.name}`))));
      if ([...this.target.options].some((o) => o.value === keep)) this.target.value = keep;
    }
    this.renderButtons();
  }

  renderButtons() {
    this.decline.disabled = this.busy;
    this.transfer.disabled = this.busy || !this.target.value;
  }

  async onDecline() {
    const s = this.session;
    if (!s) return;
    this.busy = true;
    this.renderButtons();
    try {
      store.upsertSession(await api.decline(s.id), { requeue: true });
      this.ctx.shell?.toast('Declined: the chat is back in the queue.');
      this.ctx.actions.closeSession();
    } catch (err) {
      this.ctx.shell?.toast(err.message || 'Could not decline', 'error');
    } finally {
      this.busy = false;
      this.renderButtons();
    }
  }

  async onTransfer() {
    const s = this.session;
    const [kind, value] = this.target.value.split(':');
    if (!s || !value) return;
    this.busy = true;
    this.renderButtons();
    try {
      const target = kind === 'team' ? { team_id: Number(value) } : { agent_id: Number(value) };
      const updated = await api.transfer(s.id, target, this.note.value.trim());
      store.upsertSession(updated, { requeue: true });
      this.note.value = '';
      this.target.value = '';
      this.ctx.shell?.toast(kind === 'team'
        ? `Transferred to team ${updated.team_name || ''}.`
        : `Transferred to ${updated.agent_name || 'the agent'}.`);
    } catch (err) {
      this.ctx.shell?.toast(err.code === 'at_capacity' ? `${err.message} (full)` : (err.message || 'Could not transfer'), 'error');
    } finally {
      this.busy = false;
      this.renderButtons();
    }
  }
}
