// views/composer-media.js: the WhatsApp side of the composer (issue 8): attachments (the attach
// button, drag and drop onto the chat, paste into the composer; uploaded with an
// Idempotency-Key, with progress and plain-words errors), the quoted reply bar, the window
// countdown in its last 2 hours, and, once the 24-hour window has closed (or a send answered 409
// window_closed), the template picker with its parameter fields instead of the free-text row.

import { h, bidi, icon, replaceChildren } from '../dom.js';
import { store, isSupervisor } from '../state.js';
import { duration, now, time, truncate } from '../format.js';
import { windowState } from '../delivery.js';
import * as api from '../api.js';

const WARN_MS = 2 * 60 * 60 * 1000; // the warning starts 2 hours before the window closes

/** A WhatsApp session (web chat has no window, no templates and no attachments). */
export function isWhatsApp(s) {
  return !!s && s.channel !== 'webchat';
}

/** What an upload's failure means, in plain words. */
export function uploadErrorText(err, file) {
  const name = file?.name || 'the file';
  if (err?.status === 413) return `${name} is too large to send on WhatsApp (${err.message}).`;
  if (err?.status === 415) return `WhatsApp does not accept this kind of file (${name}).`;
  if (err?.code === 'window_closed') return 'The 24-hour window has closed: send a template instead.';
  return `${name} was not sent: ${err?.message || err}`;
}

/** `body` with {{1}}.. replaced by the parameters (empty ones stay visible as {{n}}). */
export function fillTemplate(body, params) {
  return String(body).replace(/\{\{(\d+)\}\}/g, (all, n) => params[Number(n) - 1] || all);
}

export class ComposerMedia {
  /** `chat` is the ChatView: its session, textarea, composer and render methods. */
  constructor(chat) {
    this.chat = chat;
    this.reply = new Map(); // session id -> the MESSAGE being quoted
    this.closedBy409 = new Map(); // session id -> closesAt known when a send answered window_closed
    this.templates = null; // loaded on first need
    this.uploading = 0;

    this.fileInput = h('input', { type: 'file', hidden: true, 'data-testid': 'attach-input', tabindex: '-1' });
    this.fileInput.addEventListener('change', () => {
      const files = [...this.fileInput.files];
      this.fileInput.value = '';
      this.uploadAll(files);
    });
    this.attach = h('button', {
      type: 'button', class: 'icon-btn attach-btn', 'data-testid': 'attach', 'aria-label': 'Attach a file',
      title: 'Attach a file (or drop it here, or paste it)', onclick: () => this.fileInput.click(),
    }, icon('attach'));
    this.status = h('div', { class: 'upload-status', 'data-testid': 'upload-status', role: 'status', 'aria-live': 'polite' });
    this.replyBar = h('div', { class: 'reply-bar', 'data-testid': 'reply-bar', hidden: true });

    // The template picker (window closed).
    this.explain = h('p', { class: 'template-explain', 'data-testid': 'window-closed' });
    this.select = h('select', { class: 'input', id: 'template-select', 'data-testid': 'template-select' });
    this.select.addEventListener('change', () => this.renderParams());
    this.params = h('div', { class: 'template-params' });
    this.preview = h('p', { class: 'template-preview', 'data-testid': 'template-preview' });
    this.templateSend = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'template-send', onclick: () => this.sendTemplate() }, 'Send template');
    this.templateError = h('p', { class: 'composer-error', role: 'alert' });
    this.panel = h('div', { class: 'template-panel', 'data-testid': 'template-panel', hidden: true },
      this.explain,
      h('div', { class: 'template-row' }, h('label', { for: 'template-select' }, 'Template'), this.select),
      this.params, this.preview,
      h('div', { class: 'template-row' }, this.templateSend), this.templateError);

    chat.textarea.addEventListener('paste', (e) => {
      const files = [...(e.clipboardData?.files || [])];
      if (!files.length || !this.canAttach()) return;
      e.preventDefault();
      this.uploadAll(files);
    });
  }

  /** Another chat is open: its own uploads' lines and template errors only. */
  switched() {
    this.status.replaceChildren();
    this.templateError.textContent = '';
    this.templateKey = null;
  }

  /** Wires drag and drop onto `zone` (the open chat). */
  dropZone(zone) {
    zone.addEventListener('dragover', (e) => {
      if (!this.canAttach() || ![...(e.dataTransfer?.types || [])].includes('Files')) return;
      e.preventDefault();
      zone.classList.add('is-dropping');
    });
    zone.addEventListener('dragleave', (e) => {
      if (!zone.contains(e.relatedTarget)) zone.classList.remove('is-dropping');
    });
    zone.addEventListener('drop', (e) => {
      zone.classList.remove('is-dropping');
      const files = [...(e.dataTransfer?.files || [])];
      if (!files.length || !this.canAttach()) return;
      e.preventDefault();
      this.uploadAll(files);
    });
  }

  canSend(s = this.chat.session) {
    const me = store.me;
    return !!s && s.status === 'active' && (s.agent_id === me?.id || isSupervisor(me));
  }

  /** Templates: the chat's writer, or anyone on a waiting chat the customer never wrote in (a
   * "New conversation"; the template route allows waiting sessions). */
  canTemplate(s) {
    return this.canSend(s) || (!!s && s.status === 'waiting' && this.window(s).reason === 'never');
  }

  canAttach() {
    const s = this.chat.session;
    return isWhatsApp(s) && this.canSend(s) && !this.chat.tools.noteMode && !this.windowClosed(s);
  }

  /** {open, closesAt} of the session's window, counting a 409 window_closed as closed. */
  window(s) {
    const w = windowState(s, store.messagesOf(s.id), now());
    const known = this.closedBy409.get(s.id);
    if (w.open && known !== undefined && !(w.closesAt > known)) return { ...w, open: false, reason: 'rejected' };
    return w;
  }

  windowClosed(s) {
    return isWhatsApp(s) && !this.window(s).open;
  }

  /** The composer's hint about the window ('' when there is nothing to say). */
  windowHint(s) {
    if (!isWhatsApp(s) || s.status !== 'active') return '';
    const w = this.window(s);
    if (!w.open) return 'The 24-hour window is closed: only a template can reach the customer.';
    const left = w.closesAt - now();
    return left <= WARN_MS ? `The 24-hour window closes in ${duration(left)} (at ${time(new Date(w.closesAt).toISOString())}).` : '';
  }

  /** A send answered 409 window_closed: switch to templates. */
  noteWindowClosed(id) {
    const s = store.session(id);
    this.closedBy409.set(id, s ? windowState(s, store.messagesOf(id), now()).closesAt : Infinity);
    this.chat.renderComposer();
  }

  // --- quoted reply ------------------------------------------------------------------------
  quote(m) {
    if (this.chat.sessionId == null) return;
    this.reply.set(this.chat.sessionId, m);
    this.chat.renderComposer();
    this.chat.textarea.focus();
  }

  /** Reacts to `m` (an empty emoji takes the reaction back). */
  async react(m, emoji) {
    const id = this.chat.sessionId;
    try {
      store.upsertMessage(await api.react(id, m.id, emoji));
      this.chat.renderMessages();
    } catch (err) {
      if (err?.code === 'window_closed') this.noteWindowClosed(id);
      this.chat.errorNotice.textContent = `Reaction not sent: ${err?.message || err}`;
      this.chat.renderFrame();
    }
  }

  replyTo(id) {
    return this.reply.get(id)?.id;
  }

  clearReply(id) {
    this.reply.delete(id);
  }

  // --- rendering ---------------------------------------------------------------------------
  /** Called by ChatView.renderComposer; returns true when the template panel replaces the text row. */
  render(s) {
    const whatsapp = isWhatsApp(s);
    const note = this.chat.tools.noteMode;
    this.attach.hidden = !whatsapp || note;
    this.attach.disabled = !this.canAttach();
    const q = s ? this.reply.get(s.id) : null;
    this.replyBar.hidden = !q || note;
    if (q && this.replyBar._for !== q.id) {
      this.replyBar._for = q.id;
      replaceChildren(this.replyBar,
        h('span', { class: 'reply-bar-label' }, 'Replying to '),
        bidi('span', truncate(q.content || `[${q.type}]`, 80), 'reply-bar-text'),
        h('button', {
          type: 'button', class: 'icon-btn', 'data-testid': 'reply-cancel', 'aria-label': 'Cancel the reply',
          onclick: () => { this.clearReply(this.chat.sessionId); this.replyBar._for = null; this.chat.renderComposer(); },
        }, '×'));
    }
    this.wakeAtWindowEdges(s);
    const templates = whatsapp && !note && this.canTemplate(s) && this.windowClosed(s);
    this.panel.hidden = !templates;
    if (templates) this.renderPanel(s);
    return templates;
  }

  /** Renders the composer again when the countdown starts and when the window closes. */
  wakeAtWindowEdges(s) {
    clearTimeout(this.edgeTimer);
    if (!isWhatsApp(s) || s.status !== 'active') return;
    const w = this.window(s);
    if (!w.open) return;
    const left = w.closesAt - now();
    const next = left > WARN_MS ? left - WARN_MS : left > 60000 ? 60000 : left;
    this.edgeTimer = setTimeout(() => this.chat.renderComposer(), Math.min(Math.max(next + 50, 50), 2 ** 31 - 1));
  }

  renderPanel(s) {
    const w = this.window(s);
    const text = w.reason === 'never'
      ? 'The customer has not written yet: WhatsApp only allows an approved template until they answer.'
      : 'The 24-hour window has closed: WhatsApp only allows an approved template until the customer writes again.';
    if (this.explain.textContent !== text) this.explain.textContent = text;
    if (this.templates === null) {
      this.templates = 'loading';
      api.templates().then((res) => { this.templates = res?.templates || []; }, (err) => {
        this.templates = null;
        this.templateError.textContent = `Could not load templates: ${err?.message || err}`;
      }).finally(() => this.chat.renderComposer());
    }
    const list = Array.isArray(this.templates) ? this.templates : [];
    const sig = JSON.stringify(list.map((t) => [t.name, t.language]));
    if (this.select._sig !== sig) {
      this.select._sig = sig;
      this.select.replaceChildren(...(list.length ? list.map((t, i) => h('option', { value: String(i) }, `${t.name} (${t.language})`))
        : [h('option', { value: '' }, this.templates === 'loading' ? 'Loading templates…' : 'No templates configured')]));
      this.renderParams();
    }
    this.templateSend.disabled = !this.current() || this.chat.busy.has('template') || this.missingParam();
    this.templateSend.textContent = this.chat.busy.has('template') ? 'Sending…' : 'Send template';
  }

  current() {
    return Array.isArray(this.templates) ? this.templates[Number(this.select.value)] : undefined;
  }

  paramValues() {
    return [...this.params.querySelectorAll('input')].map((i) => i.value.trim());
  }

  missingParam() {
    return this.paramValues().some((v) => v === '');
  }

  renderParams() {
    const t = this.current();
    const n = t ? Number(t.parameters) || 0 : 0;
    replaceChildren(this.params, Array.from({ length: n }, (_, i) => {
      const input = h('input', {
        type: 'text', class: 'input', id: `template-param-${i + 1}`, 'data-testid': 'template-param',
        maxlength: '1024', autocomplete: 'off',
      });
      input.addEventListener('input', () => this.renderPreview());
      return h('div', { class: 'template-row' }, h('label', { for: `template-param-${i + 1}` }, `{{${i + 1}}}`), input);
    }));
    this.renderPreview();
  }

  renderPreview() {
    const t = this.current();
    this.preview.textContent = t ? fillTemplate(t.body, this.paramValues()) : '';
    if (this.templateSend) this.templateSend.disabled = !t || this.chat.busy.has('template') || this.missingParam();
  }

  // --- sends -------------------------------------------------------------------------------
  async sendTemplate() {
    const id = this.chat.sessionId;
    const t = this.current();
    if (!t || this.chat.busy.has('template') || this.missingParam()) return;
    const key = this.templateKey || (this.templateKey = api.newKey());
    this.chat.busy.add('template');
    this.templateError.textContent = '';
    this.chat.renderComposer();
    try {
      store.upsertMessage(await api.sendTemplate(id, t.name, t.language, this.paramValues(), key));
      this.templateKey = null;
      for (const input of this.params.querySelectorAll('input')) input.value = '';
      this.renderPreview();
      this.chat.log.forceScroll = true;
      this.chat.renderMessages();
    } catch (err) {
      this.templateError.textContent = `Template not sent: ${err?.message || err}`;
      if (err?.status && err.status < 500) this.templateKey = null; // refused: a new try is a new send
    } finally {
      this.chat.busy.delete('template');
      this.chat.renderComposer();
    }
  }

  async uploadAll(files) {
    for (const file of files) await this.upload(file);
  }

  async upload(file) {
    const id = this.chat.sessionId;
    if (id == null || !this.canAttach()) return;
    const caption = this.chat.textarea.value.trim().slice(0, 1024);
    const key = api.newKey();
    const line = h('p', { class: 'upload-line', 'data-testid': 'upload-line' });
    const bar = h('progress', { max: '1', value: '0', 'aria-label': `Uploading ${file.name || 'file'}` });
    replaceChildren(line, bidi('span', file.name || 'file'), ' ', bar);
    line.dataset.sessionId = String(id);
    this.status.append(line);
    this.uploading++;
    try {
      const m = await api.uploadAttachment(id, file, { caption, key, onProgress: (f) => { bar.value = f; } });
      line.remove();
      store.upsertMessage(m);
      if (caption && this.chat.sessionId === id && this.chat.textarea.value.trim().slice(0, 1024) === caption) {
        this.chat.textarea.value = '';
        this.chat.drafts.delete(id);
        this.chat.autoGrow();
      }
      this.chat.log.forceScroll = true;
      this.chat.renderMessages();
    } catch (err) {
      line.classList.add('is-error');
      line.dataset.status = String(err?.status ?? '');
      replaceChildren(line, uploadErrorText(err, file), ' ',
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => line.remove() }, 'Dismiss'));
      if (err?.code === 'window_closed') this.noteWindowClosed(id);
    } finally {
      this.uploading--;
      this.chat.renderComposer();
    }
  }
}
