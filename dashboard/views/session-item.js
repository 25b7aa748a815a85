// views/session-item.js: one row of a session list (Waiting, My chats, All, History): a button
// that opens the chat. The button element is kept and only its content is refilled, so focus
// stays on it while live updates arrive.

import { h, bidi, everySecond, replaceChildren } from '../dom.js';
import { store } from '../state.js';
import {
  customerName, duration, fullDateTime, initials, now, parseTime, phone, shortWhen, truncate, SESSION_STATUS_LABELS,
} from '../format.js';

const CHANNEL_LABELS = { whatsapp: 'WhatsApp', webchat: 'Web chat' };

/** A small labelled icon of the session's channel. */
export function channelIcon(session) {
  const channel = session.channel || 'whatsapp';
  return h('span', {
    class: `channel-icon channel-icon--${channel}`, 'data-testid': 'channel-icon', dataset: { channel },
    title: CHANNEL_LABELS[channel] || channel, role: 'img', 'aria-label': CHANNEL_LABELS[channel] || channel,
  }, channel === 'webchat' ? '\u{1F4AC}' : '\u{1F4F1}');
}

/** A web chat visitor's presence (active, idle, offline) as a dot; nothing for other channels. */
export function presenceDot(session) {
  const state = store.visitorOf(session.id).presence;
  if (session.channel !== 'webchat' || !state || session.status === 'ended') return null;
  return h('span', {
    class: `visitor-presence visitor-presence--${state}`, 'data-testid': 'visitor-presence', dataset: { state },
    role: 'img', 'aria-label': `Visitor ${state}`, title: `Visitor ${state}`,
  });
}

/** mode: 'waiting' | 'mine' | 'all' | 'history' */
export function createSessionItem(session, mode, ctx) {
  const button = h('button', {
    type: 'button',
    class: 'session-item',
    'data-testid': 'session-item',
    dataset: { sessionId: session.id },
    onclick: () => ctx.actions.openSession(session.id),
  });
  const li = h('li', { class: 'session-row' }, button);
  li._button = button;
  fillSessionItem(li, session, mode, ctx);
  return li;
}

function signature(session, mode, ctx) {
  const msgs = store.messagesOf(session.id);
  const last = msgs[msgs.length - 1];
  return JSON.stringify([session, mode, store.unreadOf(session.id), ctx.route.sessionId === session.id,
    last ? [last.id, last.content, last.type] : null, store.visitorOf(session.id)]);
}

/** Refills the row when something it shows changed. */
export function fillSessionItem(li, session, mode, ctx) {
  const sig = signature(session, mode, ctx);
  if (li._sig === sig) return li;
  li._sig = sig;
  const button = li._button;
  const name = customerName(session);
  const unread = store.unreadOf(session.id);
  const selected = ctx.route.sessionId === session.id;
  button.dataset.status = session.status;
  if (selected) button.setAttribute('aria-current', 'true');
  else button.removeAttribute('aria-current');
  button.classList.toggle('is-selected', selected);
  button.classList.toggle('has-unread', unread > 0);

  const live = mode === 'waiting' || (session.status === 'waiting' && mode !== 'history');
  // Ended: when it ended; otherwise the last activity (a customer message moves it, #2).
  const at = live ? session.created_at : session.status === 'ended' ? session.ended_at : store.lastActivity(session);
  const when = h(live ? 'span' : 'time', { class: 'session-when', datetime: live ? null : at });
  if (live) {
    const since = parseTime(session.created_at);
    when.classList.add('is-live');
    when.title = 'Time waited';
    everySecond(when, (el) => {
      el.textContent = `waiting ${duration(now() - since)}`;
    });
  } else {
    when.textContent = shortWhen(at);
    when.title = `${session.status === 'ended' ? 'Ended' : 'Last activity'} ${fullDateTime(at)}`;
  }

  const msgs = store.messagesOf(session.id);
  const last = msgs[msgs.length - 1];
  const secondLine = [];
  const visitor = store.visitorOf(session.id);
  if (session.channel === 'webchat' && visitor.typing && session.status !== 'ended') {
    secondLine.push(h('span', { class: 'session-typing', 'data-testid': 'visitor-typing' }, 'typing…'));
  } else if (last && (mode === 'mine' || mode === 'waiting') && last.type !== 'system') {
    secondLine.push(bidi('span', truncate(last.content || `[${last.type}]`, 80), 'session-preview'));
  } else {
    secondLine.push(session.channel === 'webchat' ? h('span', { class: 'session-phone' }, 'Web chat')
      : bidi('span', phone(session.phone_number), 'session-phone'));
  }
  if (session.team_name) {
    secondLine.push(h('span', { class: 'chip chip--team', 'data-testid': 'session-team' }, session.team_name));
  }
  if (session.priority > 0) secondLine.push(h('span', { class: 'chip chip--priority' }, `P${session.priority}`));
  if (mode === 'all' || mode === 'history') {
    secondLine.push(h('span', { class: `chip chip--${session.status}` }, SESSION_STATUS_LABELS[session.status] || session.status));
    if (session.agent_name) secondLine.push(bidi('span', session.agent_name, 'session-agent'));
  }

  replaceChildren(button,
    h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(name)),
    h('span', { class: 'session-main' },
      h('span', { class: 'session-line' }, channelIcon(session), bidi('span', name, 'session-name'),
        presenceDot(session), when),
      h('span', { class: 'session-line session-line--sub' },
        h('span', { class: 'session-sub' }, secondLine),
        unread > 0 ? h('span', { class: 'unread-badge', 'data-testid': 'unread-badge' }, String(unread)) : null,
        unread > 0 ? h('span', { class: 'visually-hidden' }, unread === 1 ? ' unread message' : ' unread messages') : null)));
  return li;
}
