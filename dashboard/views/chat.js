// views/chat.js: the open conversation: header with Accept / End chat, the "taken by" notice,
// the supervisor's assign bar, the message log, the customer panel and the composer.

import { h, bidi, icon, replaceChildren, everySecond } from '../dom.js';
import { store, isSupervisor } from '../state.js';
import {
  codePoints, customerName, duration, now, parseTime, phone,
  MAX_MESSAGE_CODE_POINTS, SESSION_STATUS_LABELS, END_REASON_LABELS, STATUS_LABELS,
} from '../format.js';
import * as api from '../api.js';
import { MessageLog } from './message-log.js';
import { channelIcon, presenceDot } from './session-item.js';
import { CustomerPanel } from './customer-panel.js';
import { RoutingBar } from './routing-bar.js';
import { confirmDialog } from './dialog.js';
import { ChatTools } from './chat-tools.js';
import { ComposerMedia } from './composer-media.js';
import { sendTyping } from './typing.js';

/** Touch-first devices: no keyboard shortcuts to advertise. */
function touchDevice() {
  return window.matchMedia('(pointer: coarse)').matches || (navigator.maxTouchPoints > 0 && window.matchMedia('(hover: none)').matches);
}

/** Who ended a chat and why, in a sentence. */
export function endedText(s) {
  switch (s.end_reason) {
    case 'agent': return `${s.agent_name || 'The agent'} ended this chat.`;
    case 'supervisor': return 'A supervisor ended this chat.';
    case 'customer': return 'The customer ended this chat.';
    case 'expired': return 'This chat expired: the customer had not written for too long.';
    default: return 'This chat has ended.';
  }
}

export class ChatView {
  constructor(ctx) {
    this.ctx = ctx;
    this.sessionId = null;
    this.drafts = new Map();
    this.busy = new Set(); // 'accept' | 'end' | 'assign' | 'send'
    this.assignChoice = new Map();
    this.confirmedSend = new Set(); // chats where a supervisor confirmed writing to the customer
    this.build();
  }

  build() {
    // Empty state (no chat selected).
    this.emptyQueue = h('strong', {}, '0');
    this.emptyState = h('div', { class: 'chat-empty' },
      h('span', { class: 'chat-empty-icon' }, icon('chat')),
      h('h2', {}, 'No conversation selected'),
      h('p', {}, 'Pick a customer from the list to read and reply.'),
      h('p', { class: 'muted' }, this.emptyQueue, ' waiting in the queue'));

    // Header.
    this.back = h('button', {
      type: 'button', class: 'icon-btn back-btn', 'aria-label': 'Back to the list', 'data-testid': 'back',
      onclick: () => this.ctx.actions.closeSession(),
    }, icon('back'));
    this.title = h('h2', { class: 'chat-title', id: 'chat-title', tabindex: '-1' });
    this.subtitle = h('p', { class: 'chat-subtitle' });
    this.accept = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'accept', onclick: () => this.onAccept() }, 'Accept');
    this.endChat = h('button', { type: 'button', class: 'btn btn-danger-outline', 'data-testid': 'end-chat', onclick: () => this.onEnd() }, 'End chat');
    this.header = h('header', { class: 'chat-header' },
      this.back,
      h('div', { class: 'chat-heading' }, this.title, this.subtitle),
      h('div', { class: 'chat-actions' }, this.accept, this.endChat));

    // Notices.
    this.takenNotice = h('div', { class: 'notice notice--warning', 'data-testid': 'taken-notice', role: 'status' });
    this.endedNotice = h('div', { class: 'notice', 'data-testid': 'ended-notice', role: 'status' });
    this.errorNotice = h('div', { class: 'notice notice--error', role: 'alert' });

    // Supervisor: assign / reassign.
    this.assignSelect = h('select', { class: 'input', id: 'assign-select', 'data-testid': 'assign-select' });
    this.assignButton = h('button', { type: 'button', class: 'btn', 'data-testid': 'assign-button', onclick: () => this.onAssign() }, 'Assign');
    this.assignSelect.addEventListener('change', () => {
      this.assignChoice.set(this.sessionId, this.assignSelect.value);
      this.renderAssign();
    });
    this.assignBar = h('div', { class: 'assign-bar', role: 'group', 'aria-label': 'Assign to an agent' },
      h('label', { for: 'assign-select' }, 'Assign to'), this.assignSelect, this.assignButton);
    this.routingBar = new RoutingBar(this.ctx);

    // Messages.
    this.log = new MessageLog(this.ctx);
    this.panel = new CustomerPanel({ loadMessages: (id) => this.ctx.actions.loadMessages(id) });

    // Composer.
    this.textarea = h('textarea', {
      class: 'composer-input', id: 'composer', 'data-testid': 'composer', rows: '1', 'aria-label': 'Message',
      placeholder: 'Type a message', 'aria-describedby': 'char-counter composer-hint',
    });
    this.counter = h('span', { class: 'char-counter', id: 'char-counter', 'data-testid': 'char-counter' }, `0/${MAX_MESSAGE_CODE_POINTS}`);
    this.send = h('button', { type: 'submit', class: 'btn btn-primary send-btn', 'data-testid': 'send' }, 'Send');
    this.hint = h('p', { class: 'composer-hint', id: 'composer-hint' });
    this.sendError = h('p', { class: 'composer-error', role: 'alert' });
    this.composerRow = h('div', { class: 'composer-row' }, this.textarea, this.send);
    this.composer = h('form', { class: 'composer', 'aria-label': 'Reply' },
      this.composerRow,
      h('div', { class: 'composer-foot' }, this.hint, this.counter),
      this.sendError);
    this.tools = new ChatTools(this);
    this.composer.prepend(this.tools.picker);
    this.composer.querySelector('.composer-foot').prepend(this.tools.noteToggle);
    this.media = new ComposerMedia(this);
    this.composerRow.prepend(this.media.attach, this.media.fileInput);
    this.composerRow.before(this.media.replyBar, this.media.status);
    this.composerRow.after(this.media.panel);
    this.composer.addEventListener('submit', (e) => {
      e.preventDefault();
      this.onSend();
    });
    this.textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        this.onSend();
      }
    });
    this.textarea.addEventListener('input', () => {
      sendTyping(this);
      this.drafts.set(this.sessionId, this.textarea.value);
      this.sendError.textContent = '';
      this.autoGrow();
      this.renderComposer();
    });

    this.chat = h('div', { class: 'chat', 'aria-labelledby': 'chat-title' },
      this.header,
      h('div', { class: 'chat-notices' }, this.takenNotice, this.endedNotice, this.errorNotice),
      this.assignBar,
      this.routingBar.el,
      this.tools.labelsEl,
      this.panel.el,
      this.log.el,
      this.composer);
    this.media.dropZone(this.chat);
    this.log.hooks = { onQuote: (m) => this.media.quote(m), onReact: (m, emoji) => this.media.react(m, emoji) };
    this.el = h('section', { class: 'chat-pane', 'aria-label': 'Conversation' }, this.emptyState, this.chat);
  }

  get session() {
    return this.sessionId == null ? null : store.session(this.sessionId);
  }

  // --- session switching --------------------------------------------------------------------
  setSession(id) {
    if (id === this.sessionId) return;
    this.sessionId = id;
    this.log.reset();
    this.errorNotice.textContent = '';
    this.sendError.textContent = '';
    this.media.switched();
    this.textarea.value = this.drafts.get(id) || '';
    this.autoGrow();
    this.renderAll();
  }

  /** Moves focus into the chat (used when it replaces the list on narrow screens). */
  focusTitle() {
    this.title.focus({ preventScroll: true });
  }

  renderAll() {
    this.renderFrame();
    this.renderMessages();
  }

  update(topics) {
    const id = this.sessionId;
    if (topics.has('all') || topics.has('sessions') || topics.has('me') || topics.has('agents') ||
        topics.has('taken') || (id != null && topics.has(`session:${id}`))) {
      this.renderFrame();
    }
    if (id != null && (topics.has('all') || topics.has(`messages:${id}`) || topics.has('agents'))) {
      this.renderMessages();
      this.renderFrame(); // the window follows delivery failures
    }
  }

  // --- frame: header, notices, assign bar, panel, composer -----------------------------------
  renderFrame() {
    const s = this.session;
    this.emptyQueue.textContent = String(store.waitingSessions().length);
    this.emptyState.hidden = this.sessionId != null;
    this.chat.hidden = this.sessionId == null;
    if (this.sessionId == null) return;
    if (!s) {
      this.title.textContent = 'Loading…';
      replaceChildren(this.subtitle);
      this.accept.hidden = true;
      this.endChat.hidden = true;
      this.assignBar.hidden = true;
      this.routingBar.render(null);
      this.takenNotice.hidden = true;
      this.endedNotice.hidden = true;
      this.panel.render(null);
      this.renderComposer();
      return;
    }
    const me = store.me;
    const sup = isSupervisor(me);
    replaceChildren(this.title, bidi('span', customerName(s), 'chat-name'));
    this.renderSubtitle(s);

    const taken = store.taken.get(s.id);
    this.accept.hidden = s.status !== 'waiting' || taken !== undefined;
    this.accept.disabled = this.busy.has('accept');
    this.accept.textContent = this.busy.has('accept') ? 'Accepting…' : 'Accept';
    const mine = s.agent_id != null && s.agent_id === me?.id;
    this.endChat.hidden = !((s.status === 'active' && (mine || sup)) || (s.status === 'waiting' && sup));
    this.endChat.disabled = this.busy.has('end');
    this.endChat.textContent = this.busy.has('end') ? 'Ending…' : 'End chat';

    if (taken !== undefined && !(s.agent_id === me?.id)) {
      const who = bidi('strong', taken.name || 'another agent');
      replaceChildren(this.takenNotice,
        taken.kind === 'reassigned' ? ['This chat was reassigned to ', who, '.'] : ['This chat was taken by ', who, '.']);
      this.takenNotice.hidden = false;
    } else {
      this.takenNotice.hidden = true;
    }
    this.errorNotice.hidden = !this.errorNotice.textContent;
    this.endedNotice.hidden = s.status !== 'ended';
    if (s.status === 'ended') {
      const text = endedText(s);
      if (this.endedNotice.textContent !== text) this.endedNotice.textContent = text;
      this.endedNotice.dataset.endReason = s.end_reason || '';
    }

    this.renderAssign();
    this.routingBar.render(s);
    this.tools.render(s);
    this.panel.render(s, store.messagesOf(s.id), store.previous.get(s.id));
    this.renderComposer();
  }

  renderSubtitle(s) {
    const visitor = store.visitorOf(s.id);
    const sig = JSON.stringify([s.id, s.phone_number, s.status, s.agent_name, s.end_reason, s.created_at, s.agent_id === store.me?.id,
      visitor, s.team_name, s.queue_position, s.priority]);
    if (this.subtitle._sig === sig) return;
    this.subtitle._sig = sig;
    const parts = [channelIcon(s), s.channel === 'webchat' ? h('span', { class: 'chat-phone' }, 'Web chat')
      : bidi('span', phone(s.phone_number), 'chat-phone'), presenceDot(s)].filter(Boolean);
    if (s.channel === 'webchat' && visitor.typing && s.status !== 'ended') {
      parts.push(h('span', { class: 'muted', 'data-testid': 'chat-visitor-typing', 'aria-live': 'polite' }, 'typing…'));
    }
    const status = h('span', { class: `chip chip--${s.status}` }, SESSION_STATUS_LABELS[s.status] || s.status);
    parts.push(status);
    if (s.team_name) parts.push(h('span', { class: 'chip chip--team', 'data-testid': 'chat-team' }, s.team_name));
    if (s.priority > 0) parts.push(h('span', { class: 'chip chip--priority' }, `Priority ${s.priority}`));
    if (s.status === 'waiting' && s.queue_position != null) {
      parts.push(h('span', { class: 'muted' }, `#${s.queue_position} in queue`));
    }
    if (s.status === 'waiting') {
      const since = parseTime(s.created_at);
      parts.push(everySecond(h('span', { class: 'muted' }), (el) => {
        el.textContent = `waiting ${duration(now() - since)}`;
      }));
    } else if (s.status === 'active' && s.agent_name) {
      parts.push(h('span', { class: 'muted' }, 'with ', bidi('span', s.agent_id === store.me?.id ? 'you' : s.agent_name)));
    } else if (s.status === 'ended' && s.end_reason) {
      parts.push(h('span', { class: 'muted' }, END_REASON_LABELS[s.end_reason] || s.end_reason));
    }
    replaceChildren(this.subtitle, parts);
  }

  renderAssign() {
    const s = this.session;
    const me = store.me;
    const show = !!s && isSupervisor(me) && (s.status === 'waiting' || s.status === 'active');
    this.assignBar.hidden = !show;
    if (!show) return;
    const agents = [...store.agents.values()];
    if (me && !agents.some((a) => a.id === me.id)) agents.push(me);
    agents.sort((a, b) => a.name.localeCompare(b.name));
    const optionsSig = JSON.stringify(agents.map((a) => [a.id, a.name, a.status, a.active_chats, a.max_chats]));
    if (this.assignSelect._sig !== optionsSig) {
      this.assignSelect._sig = optionsSig;
      this.assignSelect.replaceChildren(
        h('option', { value: '' }, 'Choose an agent…'),
        ...agents.map((a) => h('option', { value: String(a.id) },
          `${a.name}${a.id === me?.id ? ' (you)' : ''} — ${STATUS_LABELS[a.status] || a.status}, ${a.active_chats ?? 0}/${a.max_chats ?? 0}`)));
    }
    const choice = this.assignChoice.get(s.id) ?? '';
    if (this.assignSelect.value !== choice && [...this.assignSelect.options].some((o) => o.value === choice)) {
      this.assignSelect.value = choice;
    } else if (![...this.assignSelect.options].some((o) => o.value === choice)) {
      this.assignSelect.value = '';
    }
    const selected = this.assignSelect.value;
    const same = selected !== '' && Number(selected) === s.agent_id;
    this.assignButton.textContent = this.busy.has('assign') ? 'Assigning…' : s.status === 'active' ? 'Reassign' : 'Assign';
    this.assignButton.disabled = this.busy.has('assign') || selected === '' || same;
    this.assignButton.title = same ? 'Already assigned to this agent' : '';
  }

  renderComposer() {
    const s = this.session;
    const me = store.me;
    const note = this.tools?.noteMode;
    const canReply = note ? !!s : !!s && s.status === 'active' && (s.agent_id === me?.id || isSupervisor(me));
    const count = codePoints(this.textarea.value);
    const empty = this.textarea.value.trim() === '';
    const over = count > MAX_MESSAGE_CODE_POINTS;
    this.counter.textContent = `${count}/${MAX_MESSAGE_CODE_POINTS}`;
    this.counter.classList.toggle('is-over', over);
    this.counter.classList.toggle('is-near', !over && count > MAX_MESSAGE_CODE_POINTS - 200);
    this.textarea.disabled = !canReply;
    this.textarea.setAttribute('aria-invalid', over ? 'true' : 'false');
    this.send.disabled = !canReply || empty || over || this.busy.has('send');
    this.send.textContent = this.busy.has('send') ? 'Sending…' : 'Send';

    let hint = '';
    let warn = false;
    const foreign = canReply && this.supervisorInForeignChat(s);
    if (!s) hint = '';
    else if (note) hint = 'Internal note: only agents see it.';
    else if (s.status === 'waiting') hint = 'Accept this chat to reply.';
    else if (s.status === 'ended') hint = 'This chat has ended.';
    else if (!canReply) hint = `Only ${s.agent_name || 'the assigned agent'} can reply in this chat.`;
    else if (over) {
      hint = `Too long: WhatsApp allows ${MAX_MESSAGE_CODE_POINTS} characters.`;
      warn = true;
    } else if (foreign) {
      hint = `This is ${s.agent_name || 'another agent'}'s chat: what you send goes to the customer on WhatsApp.`;
      warn = true;
    } else if (this.media.windowHint(s)) {
      hint = this.media.windowHint(s);
      warn = true;
    } else hint = touchDevice() ? '' : 'Enter to send · Shift+Enter for a new line';
    this.composerRow.hidden = this.media.render(s);
    this.composer.classList.toggle('is-foreign', !!foreign);
    this.textarea.placeholder = note ? 'Write an internal note' : canReply ? 'Type a message or / for a saved reply' : hint || 'Type a message';
    this.hint.textContent = hint;
    this.hint.classList.toggle('is-warning', warn);
  }

  autoGrow() {
    this.textarea.style.height = 'auto';
    this.textarea.style.height = `${Math.min(this.textarea.scrollHeight, 180)}px`;
  }

  // --- messages -----------------------------------------------------------------------------
  renderMessages() {
    if (this.sessionId != null) this.log.render(this.sessionId, this.session);
  }

  // --- actions ------------------------------------------------------------------------------
  async run(name, fn) {
    if (this.busy.has(name)) return;
    this.busy.add(name);
    this.errorNotice.textContent = '';
    this.renderFrame();
    try {
      await fn();
    } catch (err) {
      this.errorNotice.textContent = err?.message || String(err);
    } finally {
      this.busy.delete(name);
      this.renderFrame();
    }
  }

  onAccept() {
    const id = this.sessionId;
    return this.run('accept', () => this.ctx.actions.accept(id));
  }

  async onEnd() {
    const id = this.sessionId;
    const s = this.session;
    if (!s || this.busy.has('end')) return undefined;
    const ok = await confirmDialog({
      title: 'End this chat?',
      body: [h('p', {}, 'The chat with ', bidi('strong', customerName(s)), ' ends for everyone, and the customer is told it has ended.'),
        h('p', { class: 'muted' }, 'It cannot be reopened; the customer can ask for an agent again.')],
      confirm: 'End chat',
      cancel: 'Keep chatting',
      danger: true,
    });
    if (!ok || this.sessionId !== id) return undefined;
    return this.run('end', () => this.ctx.actions.end(id));
  }

  /** A supervisor (or admin) in an active chat assigned to someone else. */
  supervisorInForeignChat(s) {
    const me = store.me;
    return !!s && isSupervisor(me) && s.status === 'active' && s.agent_id !== me?.id;
  }

  onAssign() {
    const id = this.sessionId;
    const agentId = Number(this.assignSelect.value);
    if (!agentId) return undefined;
    return this.run('assign', async () => {
      await this.ctx.actions.assign(id, agentId);
      this.assignChoice.delete(id);
    });
  }

  async onSend() {
    const id = this.sessionId;
    const content = this.textarea.value.trim();
    if (this.send.disabled || !content) return;
    const s = this.session;
    if (this.tools.noteMode) return this.onNote(id, content);
    if (this.supervisorInForeignChat(s) && !this.confirmedSend.has(id)) {
      this.busy.add('send');
      this.renderComposer();
      const ok = await confirmDialog({
        title: 'Send to the customer?',
        body: [h('p', {}, 'This is ', bidi('strong', s.agent_name || 'another agent'), '’s chat. Your text goes to the customer on WhatsApp, as a reply from you.'),
          h('p', { class: 'muted' }, 'You are asked once per chat.')],
        confirm: 'Send to customer',
        cancel: 'Cancel',
      });
      this.busy.delete('send');
      this.renderComposer();
      if (!ok || this.sessionId !== id) {
        this.textarea.focus();
        return;
      }
      this.confirmedSend.add(id);
    }
    this.busy.add('send');
    this.sendError.textContent = '';
    this.renderComposer();
    // One key per text being sent: a double click or a retry after a lost answer sends once.
    if (this.sendKey?.text !== content || this.sendKey?.id !== id) this.sendKey = { id, text: content, key: api.newKey() };
    try {
      await this.ctx.actions.send(id, content, { replyTo: this.media.replyTo(id), key: this.sendKey.key });
      this.sendKey = null;
      this.media.clearReply(id);
      if (this.sessionId === id) {
        this.textarea.value = '';
        this.autoGrow();
      }
      this.drafts.delete(id);
      this.log.forceScroll = true;
      this.renderMessages();
    } catch (err) {
      if (err?.status && err.status < 500) this.sendKey = null; // refused: a new try is a new send
      if (err?.code === 'window_closed') this.media.noteWindowClosed(id);
      else this.sendError.textContent = `Not sent: ${err?.message || err}`;
    } finally {
      this.busy.delete('send');
      this.renderComposer();
      if (!this.textarea.disabled) this.textarea.focus();
    }
  }

  async onNote(id, content) {
    this.busy.add('send');
    this.sendError.textContent = '';
    this.renderComposer();
    try {
      store.upsertMessage(await this.ctx.actions.addNote(id, content));
      if (this.sessionId === id) {
        this.textarea.value = '';
        this.autoGrow();
      }
      this.drafts.delete(id);
      this.log.forceScroll = true;
      this.renderMessages();
    } catch (err) {
      this.sendError.textContent = `Note not saved: ${err?.message || err}`;
    } finally {
      this.busy.delete('send');
      this.renderComposer();
      if (!this.textarea.disabled) this.textarea.focus();
    }
  }
}
