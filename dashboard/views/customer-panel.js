// views/customer-panel.js: who the customer is and the session's clocks: the countdown to
// expires_at (when handoffd ends the session) and whether WhatsApp's 24-hour customer service
// window is open (last_customer_message_at + 24 h > now).

import { h, bidi, everySecond, replaceChildren } from '../dom.js';
import {
  countdown, customerName, dateTime, duration, fullDateTime, now, parseTime, phone,
  END_REASON_LABELS, SESSION_STATUS_LABELS, WHATSAPP_WINDOW_MS,
} from '../format.js';

function row(label, ...value) {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

export class CustomerPanel {
  constructor() {
    this.toggle = h('button', {
      type: 'button', class: 'btn btn-small panel-toggle', 'aria-expanded': 'false', 'aria-controls': 'customer-details',
      onclick: () => this.setExpanded(this.toggle.getAttribute('aria-expanded') !== 'true'),
    }, 'Details');
    this.key = h('div', { class: 'panel-key' });
    this.details = h('dl', { class: 'details', id: 'customer-details' });
    this.el = h('aside', { class: 'customer-panel', 'aria-labelledby': 'customer-heading' },
      h('div', { class: 'panel-heading' }, h('h2', { id: 'customer-heading' }, 'Customer'), this.toggle),
      this.key,
      this.details);
    this.session = null;
  }

  setExpanded(expanded) {
    this.toggle.setAttribute('aria-expanded', expanded ? 'true' : 'false');
    this.el.classList.toggle('is-expanded', expanded);
  }

  render(session) {
    const sig = JSON.stringify(session);
    if (sig === this.sig) return;
    this.sig = sig;
    this.session = session;
    if (!session) {
      replaceChildren(this.key);
      replaceChildren(this.details);
      return;
    }
    replaceChildren(this.key, this.expiry(session), this.window(session));
    const status = [h('span', { class: `chip chip--${session.status}` }, SESSION_STATUS_LABELS[session.status] || session.status)];
    if (session.end_reason) status.push(h('span', { class: 'muted' }, ` ${END_REASON_LABELS[session.end_reason] || session.end_reason}`));
    replaceChildren(this.details,
      row('Name', bidi('span', customerName(session), 'customer-name', { 'data-testid': 'customer-name' })),
      row('Number', bidi('span', phone(session.phone_number), 'customer-phone', { 'data-testid': 'customer-phone' })),
      row('Channel', session.channel === 'whatsapp' ? 'WhatsApp' : session.channel || '—'),
      row('Status', ...status),
      row('Agent', session.agent_name ? bidi('span', session.agent_name, 'agent-name') : h('span', { class: 'muted' }, 'Unassigned')),
      row('Created', this.when(session.created_at, 'session-created')),
      row('Assigned', session.assigned_at ? this.when(session.assigned_at, 'session-assigned') : h('span', { class: 'muted' }, '—')),
      session.ended_at ? row('Ended', this.when(session.ended_at, 'session-ended')) : null,
      row('Session', `#${session.id}`));
  }

  when(iso, testid) {
    return h('time', { datetime: iso, title: fullDateTime(iso), 'data-testid': testid }, dateTime(iso));
  }

  expiry(session) {
    const value = h('span', { class: 'clock-value', 'data-testid': 'expiry-countdown' });
    const item = h('div', { class: 'clock' }, h('span', { class: 'clock-label' }, 'Expires in'), value);
    if (session.status === 'ended') {
      value.textContent = session.end_reason === 'expired' ? 'Expired' : 'Ended';
      value.dataset.state = 'ended';
      return item;
    }
    const until = parseTime(session.expires_at);
    value.title = `Ends automatically at ${fullDateTime(session.expires_at)}`;
    everySecond(value, (el) => {
      const left = until - now();
      el.textContent = left > 0 ? countdown(left) : 'Expiring…';
      el.dataset.state = left <= 0 ? 'due' : left < 60 * 60 * 1000 ? 'soon' : 'ok';
    });
    return item;
  }

  window(session) {
    const value = h('span', { class: 'clock-value', 'data-testid': 'window-status' });
    const item = h('div', { class: 'clock', title: 'WhatsApp accepts free-form replies for 24 hours after the customer last wrote' },
      h('span', { class: 'clock-label' }, '24 h window'), value);
    const last = parseTime(session.last_customer_message_at);
    if (!Number.isFinite(last)) {
      value.textContent = 'Closed · customer has not written';
      value.dataset.open = 'false';
      return item;
    }
    const closes = last + WHATSAPP_WINDOW_MS;
    value.title = `Customer last wrote ${fullDateTime(session.last_customer_message_at)}`;
    everySecond(value, (el) => {
      const left = closes - now();
      const open = left > 0;
      el.dataset.open = open ? 'true' : 'false';
      el.textContent = open ? `Open · ${duration(left)} left` : `Closed ${duration(-left)} ago`;
    });
    return item;
  }
}

/** Whether WhatsApp's 24-hour window is open now (for the composer's warning). */
export function windowOpen(session) {
  const last = parseTime(session?.last_customer_message_at);
  return Number.isFinite(last) && last + WHATSAPP_WINDOW_MS > now();
}
