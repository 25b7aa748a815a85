// views/message-log.js: the open chat's message log: messages in order with day separators,
// reactions folded onto their messages, the loading/empty/error line, and "New messages ↓"
// when something arrives while the agent reads further up.

import { h, reconcile, replaceChildren } from '../dom.js';
import { store, messageTime } from '../state.js';
import { dayKey, dayLabel } from '../format.js';
import { renderMessage, messageSignature, messageContext } from './message.js';

export class MessageLog {
  constructor(ctx) {
    this.ctx = ctx;
    this.forceScroll = true;
    this.hooks = {}; // {onQuote(m), onReact(m, emoji)}: message actions (views/message-actions.js)
    this.messages = h('div', {
      class: 'messages', role: 'log', 'aria-label': 'Messages', tabindex: '0', 'aria-live': 'polite', 'aria-relevant': 'additions',
    });
    this.status = h('div', { class: 'messages-status' });
    this.jump = h('button', { type: 'button', class: 'btn btn-small jump-btn', hidden: true, onclick: () => this.scrollToBottom() }, 'New messages ↓');
    this.messages.addEventListener('scroll', () => {
      if (this.isAtBottom()) this.jump.hidden = true;
    });
    this.el = h('div', { class: 'messages-wrap' }, this.messages, this.status, this.jump);
  }

  /** Another chat: start empty, scrolled to the end once loaded. */
  reset() {
    this.messages._keyed = null;
    this.messages.replaceChildren();
    this.jump.hidden = true;
    this.forceScroll = true;
  }

  isAtBottom() {
    const el = this.messages;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 80;
  }

  scrollToBottom() {
    this.messages.scrollTop = this.messages.scrollHeight;
    this.jump.hidden = true;
  }

  render(id, session) {
    const list = store.messagesOf(id);
    const state = store.messageState.get(id);
    const around = messageContext(list);
    const ctx = { meId: store.me?.id, session, ...around, ...this.hooks };
    const atBottom = this.isAtBottom();
    const before = this.messages.childElementCount;

    const items = [];
    let day = null;
    for (const m of list) {
      if (around.hidden.has(m.id)) continue; // a reaction shown on the message it reacts to
      const k = dayKey(messageTime(m));
      if (k !== day) {
        day = k;
        items.push({ key: `d${k}`, day: dayLabel(messageTime(m)) });
      }
      items.push({ key: `m${m.id}`, m });
    }
    reconcile(this.messages, items, {
      key: (it) => it.key,
      create: (it) => (it.m ? renderMessage(it.m, ctx) : h('div', { class: 'day-sep', role: 'separator' }, h('span', {}, it.day))),
      update: (el, it) => {
        if (!it.m) {
          if (el.textContent !== it.day) replaceChildren(el, h('span', {}, it.day));
          return el;
        }
        return el._sig === messageSignature(it.m, ctx) ? el : renderMessage(it.m, ctx);
      },
    });

    if (list.length === 0) {
      const err = state && typeof state === 'object' ? state.error : null;
      replaceChildren(this.status,
        err ? h('p', { class: 'is-error' }, `Could not load messages: ${err} `,
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => this.ctx.actions.loadMessages(id) }, 'Retry'))
          : h('p', {}, state === 'loaded' ? 'No messages yet.' : 'Loading messages…'));
      this.status.hidden = false;
    } else {
      this.status.hidden = true;
    }

    const grew = this.messages.childElementCount > before;
    if (this.forceScroll || atBottom) {
      this.scrollToBottom();
      if (state === 'loaded' || list.length) this.forceScroll = false;
    } else if (grew) {
      this.jump.hidden = false;
    }
  }
}
