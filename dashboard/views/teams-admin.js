// views/teams-admin.js: the admins' Teams tab: every team with its trigger ids, time zone,
// hours and holidays (editable), its members (a checkbox per agent), and a form for a new team.

import { h, replaceChildren, uniqueId } from '../dom.js';
import { store } from '../state.js';
import * as api from '../api.js';

const split = (text) => text.split(/[,\s]+/).map((x) => x.trim()).filter(Boolean);

function field(label, input) {
  const id = uniqueId('team-field');
  input.id = id;
  return h('div', { class: 'field field--compact' }, h('label', { for: id }, label), input);
}

export class TeamsAdminView {
  constructor(ctx) {
    this.ctx = ctx;
    this.teams = [];
    this.status = h('p', { class: 'list-status', role: 'status' });
    this.list = h('div', { class: 'teams-list', 'data-testid': 'teams-list' });
    this.form = this.buildForm();
    this.el = h('div', { class: 'teams-admin', 'data-testid': 'teams-admin' }, this.status, this.list, this.form);
    this.loaded = false;
  }

  buildForm() {
    const inputs = {
      name: h('input', { class: 'input', 'data-testid': 'team-new-name', required: true, maxlength: '100' }),
      triggers: h('input', { class: 'input', 'data-testid': 'team-new-triggers', placeholder: 'AGENT_MODE_BILLING, AGENT_MODE_VIP:3' }),
      timezone: h('input', { class: 'input', 'data-testid': 'team-new-timezone', value: 'UTC' }),
      hours: h('input', { class: 'input', 'data-testid': 'team-new-hours', placeholder: 'mon-fri 09:00-18:00 (empty: always open)' }),
      holidays: h('input', { class: 'input', 'data-testid': 'team-new-holidays', placeholder: '2026-12-24, 2026-12-25' }),
    };
    this.inputs = inputs;
    this.formError = h('p', { class: 'form-error', role: 'alert' });
    const form = h('form', { class: 'team-form', 'aria-label': 'New team' },
      h('h3', {}, 'New team'),
      field('Name', inputs.name), field('Trigger ids', inputs.triggers), field('Time zone (IANA)', inputs.timezone),
      field('Hours', inputs.hours), field('Holidays', inputs.holidays),
      this.formError,
      h('button', { type: 'submit', class: 'btn btn-primary btn-small', 'data-testid': 'team-create' }, 'Add team'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      this.formError.textContent = '';
      try {
        await api.createTeam({
          name: inputs.name.value.trim(), trigger_ids: split(inputs.triggers.value),
          timezone: inputs.timezone.value.trim() || 'UTC', hours: inputs.hours.value.trim(),
          holidays: split(inputs.holidays.value),
        });
        for (const k of ['name', 'triggers', 'hours', 'holidays']) inputs[k].value = '';
        await this.load();
      } catch (err) {
        this.formError.textContent = err.message;
      }
    });
    return form;
  }

  ensureLoaded() {
    if (!this.loaded) this.load();
  }

  async load() {
    this.loaded = true;
    this.status.textContent = 'Loading…';
    try {
      this.teams = (await api.teams()).teams || [];
      this.status.textContent = '';
    } catch (err) {
      this.status.textContent = `Could not load teams: ${err.message}`;
    }
    this.render();
  }

  render() {
    const agents = [...store.agents.values()].sort((a, b) => a.name.localeCompare(b.name));
    replaceChildren(this.list, this.teams.map((t) => {
      const members = h('ul', { class: 'team-members', 'aria-label': `Members of ${t.name}` },
        agents.map((a) => {
          const box = h('input', {
            type: 'checkbox', 'data-testid': 'team-member', dataset: { agentId: a.id, teamId: t.id },
            checked: (a.teams || []).some((x) => x.id === t.id),
          });
          box.addEventListener('change', async () => {
            try {
              await api.setMember(t.id, a.id, box.checked);
              const teams = (a.teams || []).filter((x) => x.id !== t.id);
              if (box.checked) teams.push({ id: t.id, name: t.name });
              store.upsertAgent({ ...a, teams });
            } catch (err) {
              box.checked = !box.checked;
              this.ctx.shell?.toast(err.message, 'error');
            }
          });
          return h('li', {}, h('label', {}, box, ` ${a.name}`));
        }));
      return h('article', { class: 'team-card', 'data-testid': 'team-card', dataset: { teamId: t.id } },
        h('h3', {}, t.name, ' ', h('span', { class: `chip ${t.open_now ? 'chip--active' : 'chip--closed'}` }, t.open_now ? 'open' : 'closed')),
        h('p', { class: 'muted' }, `${t.slug} · ${t.timezone} · ${t.hours || 'always open'}`),
        t.trigger_ids.length ? h('p', { class: 'muted' }, `Trigger ids: ${t.trigger_ids.join(', ')}`) : null,
        t.holidays.length ? h('p', { class: 'muted' }, `Holidays: ${t.holidays.join(', ')}`) : null,
        members);
    }));
  }

  update(topics) {
    if (this.loaded && (topics.has('agents') || topics.has('all'))) this.render();
  }
}
