// views/customer-panel.js: who the customer is and the session's clocks: the countdown to
// expires_at (when handoffd ends the session) and whether WhatsApp's 24-hour customer service
// window is open (last_customer_message_at + 24 h > now).

import { h, bidi, everySecond, replaceChildren } from '../dom.js';
import {
  countdown, customerName, dateTime, duration, fullDateTime, now, parseTime, phone, truncate,
  END_REASON_LABELS, SESSION_STATUS_LABELS,
} from '../format.js';
import { store } from '../state.js';
import { windowState, isWindowFailure } from '../delivery.js';

function row(label, ...value) {
  return [h('dt', {}, label), h('dd', {}, ...value)];
}

export class CustomerPanel {
  /** loadMessages(sessionId): loads a previous session's messages into the store. */
  constructor({ loadMessages } = {}) {
    this.loadMessages = loadMessages;
    this.previousList = h('ul', { class: 'previous-list', 'data-testid': 'previous-list' });
    this.previous = h('section', { class: 'previous', 'aria-labelledby': 'previous-heading', 'data-testid': 'previous-conversations', hidden: true },
      h('h3', { id: 'previous-heading' }, 'Previous conversations'), this.previousList);
    this.toggle = h('button', {
      type: 'button', class: 'btn btn-small panel-toggle', 'aria-expanded': 'false', 'aria-controls': 'customer-details',
      onclick: () => this.setExpanded(this.toggle.getAttribute('aria-expanded') !== 'true'),
    }, 'Details');
    this.key = h('div', { class: 'panel-key' });
    this.details = h('dl', { class: 'details', id: 'customer-details' });
    this.el = h('aside', { class: 'customer-panel', 'aria-labelledby': 'customer-heading' },
      h('div', { class: 'panel-heading' }, h('h2', { id: 'customer-heading' }, 'Customer'), this.toggle),
      this.key,
      this.details,
      this.previous);
    this.session = null;
  }

  setExpanded(expanded) {
    this.toggle.setAttribute('aria-expanded', expanded ? 'true' : 'false');
    this.el.classList.toggle('is-expanded', expanded);
  }

  render(session, messages = [], previous = undefined) {
    // Only the failures that close the window matter here, not every message.
    const failures = messages.filter(isWindowFailure).map((m) => [m.id, m.created_at]);
    const lastIn = messages.filter((m) => m.direction === 'in').map((m) => m.id).pop() ?? null;
    const sig = JSON.stringify([session, failures, lastIn]);
    this.renderPrevious(previous);
    if (sig === this.sig) return;
    this.sig = sig;
    this.session = session;
    this.messages = messages;
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
    const messages = this.messages;
    if (session.last_customer_message_at) value.title = `Customer last wrote ${fullDateTime(session.last_customer_message_at)}`;
    everySecond(value, (el) => {
      const w = windowState(session, messages, now());
      el.dataset.open = w.open ? 'true' : 'false';
      el.dataset.reason = w.reason;
      if (w.reason === 'never') el.textContent = 'Closed · customer has not written';
      else if (w.reason === 'rejected') el.textContent = 'Closed · WhatsApp refused a reply';
      else el.textContent = w.open ? `Open · ${duration(w.closesAt - now())} left` : `Closed ${duration(now() - w.closesAt)} ago`;
    });
    return item;
  }

  /** The customer's earlier sessions, read-only; each opens in place. */
  renderPrevious(list) {
    const sig = JSON.stringify((list || []).map((s) => [s.id, s.status, s.agent_name, s.ended_at]));
    if (sig === this.previousSig) return;
    this.previousSig = sig;
    this.previous.hidden = !list || list.length === 0;
    replaceChildren(this.previousList, (list || []).map((s) => {
      const body = h('div', { class: 'previous-messages' }, h('p', { class: 'muted' }, 'Loading…'));
      const item = h('details', { class: 'previous-item', dataset: { sessionId: s.id }, 'data-testid': 'previous-item' },
        h('summary', {}, this.when(s.created_at, 'previous-created'),
          ' · ', s.agent_name ? bidi('span', s.agent_name) : h('span', { class: 'muted' }, 'unassigned'),
          ' · ', SESSION_STATUS_LABELS[s.status] || s.status,
          s.end_reason ? ` (${END_REASON_LABELS[s.end_reason] || s.end_reason})` : ''),
        body);
      item.addEventListener('toggle', async () => {
        if (!item.open || item._loaded) return;
        item._loaded = true;
        await this.loadMessages?.(s.id);
        const msgs = store.messagesOf(s.id);
        replaceChildren(body, msgs.length ? h('ol', { class: 'previous-log' }, msgs.map((m) => h('li', { class: `previous-msg previous-msg--${m.sender_type}` },
          h('span', { class: 'previous-who' }, m.sender_type === 'customer' ? 'Customer' : m.sender_type === 'agent' ? (store.agents.get(Number(m.sender_id))?.name || 'Agent') : m.sender_type === 'bot' ? 'Bot' : 'System'),
          ': ', bidi('span', truncate(m.content || `[${m.type}]`, 300))))) : h('p', { class: 'muted' }, 'No messages.'));
      });
      return h('li', {}, item);
    }));
  }
}
