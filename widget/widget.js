// handoffd web chat widget (API.md "Web chat"). Plain JavaScript, no framework; everything lives
// in a shadow root so the host page's CSS cannot reach it and it cannot reach the page.
// Embed: <script src="https://HOST/widget.js" data-widget-key="KEY" async></script>
(() => {
  'use strict';
  const script = document.currentScript || document.querySelector('script[data-widget-key]');
  if (!script || window.__handoffdWebchat) return;
  window.__handoffdWebchat = true;
  const KEY = script.getAttribute('data-widget-key') || '';
  const BASE = new URL(script.src, location.href).origin;
  const STORE = `handoffd:${KEY}:`;
  const MAX = 4096;
  const TYPING_DEBOUNCE = 300, TYPING_CLEAR = 3000, HEARTBEAT = 30000, IDLE_AFTER = 120000;

  const CSS = `
:host{all:initial!important;position:fixed!important;right:16px!important;bottom:16px!important;
  z-index:2147483000!important;display:block!important}
.root{all:initial;display:block;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430}
:where(.root *){box-sizing:border-box;font:inherit;color:inherit}
button{cursor:pointer;border:0;border-radius:8px;padding:8px 12px;background:#2458d6;color:#fff}
button:focus-visible,textarea:focus-visible,input:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
button.ghost{background:transparent;color:#2458d6;padding:4px 8px}
button.ghost.light{color:#fff}
.launcher{width:56px;height:56px;border-radius:50%;box-shadow:0 4px 14px rgba(0,0,0,.25);
  position:relative;font-size:24px;padding:0}
.badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;
  background:#d93025;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px}
.badge[hidden],[hidden]{display:none!important}
.panel{position:absolute;right:0;bottom:68px;width:360px;max-width:calc(100vw - 32px);height:520px;
  max-height:calc(100vh - 100px);background:#fff;border-radius:12px;display:flex;flex-direction:column;
  box-shadow:0 8px 28px rgba(0,0,0,.28);overflow:hidden}
header{background:#2458d6;color:#fff;padding:10px 12px;display:flex;align-items:center;gap:8px}
header .titles{flex:1;min-width:0}
header h2{margin:0;font-size:16px;font-weight:600}
header .sub{font-size:12px;opacity:.9}
.log{flex:1;overflow-y:auto;padding:12px;background:#f5f7fb;display:flex;flex-direction:column;gap:6px}
.msg{max-width:80%;padding:8px 10px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;
  background:#fff;border:1px solid #e1e5ee;align-self:flex-start}
.msg.customer{align-self:flex-end;background:#2458d6;color:#fff;border-color:#2458d6}
.msg.system{align-self:center;background:transparent;border:0;color:#5b6475;font-size:12px;text-align:center}
.meta{display:block;font-size:11px;opacity:.75;margin-top:2px;text-align:right}
.tick.read{color:#7fd1ff}
.choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.status{padding:4px 12px;font-size:12px;color:#5b6475;min-height:20px;background:#f5f7fb}
.actions{display:flex;gap:6px;padding:6px 12px 0;flex-wrap:wrap}
.composer{display:flex;gap:6px;padding:8px 12px 12px;align-items:flex-end}
textarea{flex:1;resize:none;border:1px solid #c4cad6;border-radius:8px;padding:8px;height:40px;
  max-height:120px;background:#fff}
.count{font-size:11px;color:#5b6475;padding:0 12px}
form.offline{padding:12px;display:flex;flex-direction:column;gap:8px;overflow-y:auto}
form.offline label{display:flex;flex-direction:column;gap:2px;font-size:12px}
form.offline input,form.offline textarea{border:1px solid #c4cad6;border-radius:8px;padding:8px;height:auto}
.error{color:#b3261e;font-size:12px}
`;

  // --- state ---
  const st = {
    settings: null, token: localStorage.getItem(STORE + 'token') || '', session: null,
    messages: new Map(), open: false, unread: 0, lastEventId: localStorage.getItem(STORE + 'last') || '',
    es: null, esFailures: 0, polling: false, typingSentAt: 0, typingTimer: 0, typingClear: 0,
    agentTypingTimer: 0, lastActivity: Date.now(), presence: '', readUpTo: 0,
  };

  // --- DOM ---
  const host = document.createElement('handoffd-webchat');
  host.id = 'handoffd-webchat';
  const root = host.attachShadow({ mode: 'open' });
  const el = (tag, attrs = {}, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (v !== false && v != null) e.setAttribute(k, v === true ? '' : v);
    }
    for (const k of kids) if (k) e.append(k);
    return e;
  };
  const style = el('style', { text: CSS });
  const badge = el('span', { class: 'badge', hidden: true, 'aria-hidden': 'true' });
  const launcher = el('button', { class: 'launcher', type: 'button', 'aria-label': 'Open chat',
    'aria-expanded': 'false', onclick: () => toggle() }, el('span', { text: '\u{1F4AC}', 'aria-hidden': 'true' }), badge);
  const title = el('h2', { id: 'hd-title', text: 'Chat' });
  const sub = el('div', { class: 'sub', 'aria-live': 'polite' });
  const endBtn = el('button', { class: 'ghost light', type: 'button', hidden: true, text: 'End chat', onclick: () => endChat() });
  const closeBtn = el('button', { class: 'ghost light', type: 'button', 'aria-label': 'Close chat', text: '\u2715', onclick: () => toggle(false) });
  const log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation', tabindex: '0' });
  const status = el('div', { class: 'status', 'aria-live': 'polite' });
  const humanBtn = el('button', { type: 'button', text: 'Talk to a human', onclick: () => handoff() });
  const offlineBtn = el('button', { class: 'ghost', type: 'button', text: 'Leave a message', onclick: () => showOffline(true) });
  const actions = el('div', { class: 'actions' }, humanBtn, offlineBtn);
  const input = el('textarea', { 'aria-label': 'Message', placeholder: 'Write a message…', maxlength: String(MAX * 2), rows: '1' });
  const sendBtn = el('button', { type: 'button', text: 'Send', 'aria-label': 'Send message', onclick: () => send() });
  const count = el('div', { class: 'count', 'aria-live': 'polite' });
  const composer = el('div', { class: 'composer' }, input, sendBtn);
  const chatView = el('div', { style: 'display:contents' }, log, status, actions, count, composer);
  const offErr = el('div', { class: 'error', role: 'alert' });
  const offName = el('input', { name: 'name', required: true, autocomplete: 'name' });
  const offEmail = el('input', { name: 'email', type: 'email', required: true, autocomplete: 'email' });
  const offMsg = el('textarea', { name: 'message', required: true, rows: '4' });
  const offline = el('form', { class: 'offline', hidden: true, 'aria-label': 'Leave a message', onsubmit: (e) => { e.preventDefault(); sendOffline(); } },
    el('p', { text: 'We are not available right now. Leave a message and we will email you back.' }),
    el('label', {}, 'Name', offName), el('label', {}, 'Email', offEmail), el('label', {}, 'Message', offMsg), offErr,
    el('button', { type: 'submit', text: 'Send message' }),
    el('button', { type: 'button', class: 'ghost', text: 'Back to chat', onclick: () => showOffline(false) }));
  const panel = el('div', { class: 'panel', role: 'dialog', 'aria-labelledby': 'hd-title', hidden: true },
    el('header', {}, el('div', { class: 'titles' }, title, sub), endBtn, closeBtn), chatView, offline);
  root.append(style, el('div', { class: 'root' }, panel, launcher));

  // --- HTTP ---
  async function api(method, path, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (st.token) headers.Authorization = 'Bearer ' + st.token;
    const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), mode: 'cors', credentials: 'omit' });
    if (res.status === 401 && st.token) { forget(); }
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { /* not JSON */ }
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || `HTTP ${res.status}`);
      err.status = res.status; err.retryAfter = Number(res.headers.get('Retry-After')) || 0;
      throw err;
    }
    return data;
  }
  function forget() {
    st.token = ''; st.lastEventId = ''; st.session = null; st.messages.clear(); log.textContent = '';
    localStorage.removeItem(STORE + 'token'); localStorage.removeItem(STORE + 'last');
    if (st.es) { st.es.close(); st.es = null; }
  }
  async function ensureVisitor() {
    if (st.token) return;
    const v = await api('POST', '/widget/v1/visitors', { widget_key: KEY });
    st.token = v.visitor_token;
    localStorage.setItem(STORE + 'token', st.token);
    connect();
  }

  // --- rendering ---
  const fmtTime = (iso) => { const d = new Date(iso); return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }); };
  function tick(m) {
    if (m.sender_type === 'customer') return '\u2713';
    return '';
  }
  function render(m) {
    const old = st.messages.get(m.id);
    const merged = Object.assign({}, old ? old.m : {}, m);
    let node = old && old.node;
    const kind = merged.sender_type === 'system' ? 'system' : merged.sender_type === 'customer' ? 'customer' : 'other';
    const fresh = !node;
    if (!node) node = el('div', { class: 'msg ' + kind, 'data-id': String(m.id), 'data-sender': merged.sender_type });
    node.textContent = '';
    const who = merged.sender_type === 'agent' && st.session && st.session.agent_name ? st.session.agent_name + ': ' : '';
    node.append(el('span', { class: 'sr', text: kind === 'customer' ? '' : '' }), document.createTextNode(merged.content || ''));
    const meta = el('span', { class: 'meta' }, el('time', { datetime: merged.created_at, text: fmtTime(merged.created_at) }));
    if (who) node.setAttribute('aria-label', who + merged.content);
    const t = tick(merged);
    if (t) meta.append(' ', el('span', { class: 'tick', 'aria-label': 'sent', text: t }));
    node.append(meta);
    if (Array.isArray(merged.buttons) && merged.buttons.length) {
      const box = el('div', { class: 'choices' });
      for (const b of merged.buttons) {
        box.append(el('button', { type: 'button', text: b.title, onclick: () => choose(b) }));
      }
      node.append(box);
    }
    st.messages.set(m.id, { m: merged, node });
    if (fresh) {
      const after = [...log.children].find((c) => Number(c.dataset.id) > m.id);
      log.insertBefore(node, after || null);
      log.scrollTop = log.scrollHeight;
      if (kind !== 'customer' && !st.open) { st.unread++; showBadge(); }
    }
  }
  function showBadge() {
    badge.hidden = st.unread === 0;
    badge.textContent = String(st.unread);
    launcher.setAttribute('aria-label', st.unread ? `Open chat, ${st.unread} unread` : 'Open chat');
  }
  function renderSession() {
    const s = st.session;
    const open = s && s.status !== 'ended';
    humanBtn.hidden = !!open;
    endBtn.hidden = !open;
    if (!s) { sub.textContent = st.settings && !st.settings.open_now ? 'We are away right now' : 'We typically reply in a few minutes'; status.textContent = ''; return; }
    if (s.status === 'waiting') {
      sub.textContent = 'Waiting for an agent';
      let text = s.queue_position ? `You are number ${s.queue_position} in line.` : 'Connecting you to an agent…';
      if (s.estimated_wait_seconds) text += ` Estimated wait: about ${Math.max(1, Math.round(s.estimated_wait_seconds / 60))} min.`;
      status.textContent = text;
    } else if (s.status === 'active') {
      sub.textContent = s.agent_name ? `Chatting with ${s.agent_name}` : 'Chatting with an agent';
      status.textContent = '';
    } else {
      sub.textContent = 'Chat ended';
      status.textContent = '';
    }
  }
  function setSession(s) {
    if (!s) return;
    st.session = Object.assign({}, st.session && st.session.id === s.id ? st.session : {}, s);
    renderSession();
  }

  // --- events ---
  function onEvent(type, data, id) {
    if (id) { st.lastEventId = id; localStorage.setItem(STORE + 'last', id); }
    if (type === 'message.created' || type === 'message.status') {
      if (type === 'message.status' && !st.messages.has(data.id)) return;
      render(data);
      if (type === 'message.created' && data.sender_type === 'agent') showAgentTyping(false);
      if (type === 'message.created') markRead();
    } else if (type === 'session.assigned' || type === 'session.ended' || type === 'queue.position') {
      setSession(data);
    } else if (type === 'agent.typing') {
      showAgentTyping(data.typing, data.agent_name);
    } else if (type === 'reset') {
      load();
    }
  }
  const TYPES = ['message.created', 'message.status', 'session.assigned', 'session.ended', 'queue.position', 'agent.typing', 'reset'];
  function connect() {
    if (!st.token || st.es || st.polling) return;
    let url = `${BASE}/widget/v1/events?token=${encodeURIComponent(st.token)}`;
    if (st.lastEventId) url += `&last_event_id=${encodeURIComponent(st.lastEventId)}`;
    const es = new EventSource(url);
    st.es = es;
    for (const t of TYPES) {
      es.addEventListener(t, (e) => { let d = {}; try { d = JSON.parse(e.data); } catch (_) { /* keep {} */ } onEvent(t, d, e.lastEventId); });
    }
    es.onopen = () => { st.esFailures = 0; };
    es.onerror = () => {
      if (++st.esFailures >= 3) { es.close(); st.es = null; st.polling = true; poll(); }
    };
  }
  async function poll() {
    while (st.polling && st.token) {
      try {
        const r = await api('GET', `/widget/v1/poll?timeout=25${st.lastEventId ? '&after=' + encodeURIComponent(st.lastEventId) : ''}`);
        for (const e of r.events) onEvent(e.event, e.data, String(e.id));
        if (!st.lastEventId) { st.lastEventId = String(r.last_event_id); }
        if (r.reset) load();
      } catch (_) { await new Promise((ok) => setTimeout(ok, 3000)); }
    }
  }
  function showAgentTyping(on, name) {
    clearTimeout(st.agentTypingTimer);
    if (!on) { if (status.dataset.typing) { status.dataset.typing = ''; renderSession(); } return; }
    status.dataset.typing = '1';
    status.textContent = `${name || (st.session && st.session.agent_name) || 'Agent'} is typing…`;
    st.agentTypingTimer = setTimeout(() => showAgentTyping(false), TYPING_CLEAR);
  }

  // --- actions ---
  async function load() {
    if (!st.token) { renderSession(); return; }
    try {
      const c = await api('GET', '/widget/v1/conversation');
      if (c.session) setSession(c.session); else renderSession();
      for (const m of c.messages) render(m);
      markRead();
      connect();
    } catch (_) { renderSession(); }
  }
  async function send(text) {
    const content = text !== undefined ? text : input.value;
    if (!content.trim()) return;
    if ([...content].length > MAX) { count.textContent = `At most ${MAX} characters.`; return; }
    try {
      await ensureVisitor();
      const m = await api('POST', '/widget/v1/messages', { content });
      if (text === undefined) { input.value = ''; updateCount(); }
      render(m);
      stopTyping();
    } catch (e) {
      count.textContent = e.status === 429 ? `Too many messages. Try again in ${e.retryAfter || 60} s.` : 'Not sent. Please try again.';
    }
  }
  async function handoff() {
    try {
      await ensureVisitor();
      setSession(await api('POST', '/widget/v1/handoff', {}));
      if (st.settings && st.settings.open_now === false) showOffline(true);
    } catch (e) {
      if (e.status === 409) load(); else status.textContent = 'Could not reach an agent. Please try again.';
    }
  }
  function choose(b) {
    if (st.settings && b.id === 'AGENT_MODE') return handoff();
    return send(b.title);
  }
  async function endChat() {
    try { setSession(await api('POST', '/widget/v1/end', {})); } catch (_) { load(); }
  }
  function markRead() {
    if (!st.open || !st.token || document.visibilityState === 'hidden') return;
    let max = 0;
    for (const { m } of st.messages.values()) if (m.sender_type !== 'customer' && m.id > max && m.delivery_status !== 'read') max = m.id;
    if (max > st.readUpTo) { st.readUpTo = max; api('POST', '/widget/v1/read', { up_to_message_id: max }).catch(() => {}); }
    st.unread = 0; showBadge();
  }
  function toggle(force) {
    st.open = force === undefined ? !st.open : force;
    panel.hidden = !st.open;
    launcher.setAttribute('aria-expanded', String(st.open));
    if (st.open) {
      if (!st.loaded) { st.loaded = true; load(); }
      markRead();
      setTimeout(() => (offline.hidden ? input : offName).focus(), 0);
      presence('active');
    } else {
      launcher.focus();
    }
  }
  function showOffline(on) {
    offline.hidden = !on;
    chatView.hidden = on;
    chatView.style.display = on ? 'none' : 'contents';
    if (on) offName.focus();
  }
  async function sendOffline() {
    offErr.textContent = '';
    try {
      const body = { name: offName.value, email: offEmail.value, message: offMsg.value };
      if (!st.token) body.widget_key = KEY;
      await api('POST', '/widget/v1/offline-messages', body);
      offline.textContent = '';
      offline.append(el('p', { role: 'status', text: 'Thank you! We will get back to you by email.' }),
        el('button', { type: 'button', class: 'ghost', text: 'Back to chat', onclick: () => showOffline(false) }));
    } catch (e) {
      offErr.textContent = e.status === 400 ? 'Please check your email address and message.' : 'Not sent. Please try again.';
    }
  }

  // --- typing and presence ---
  function updateCount() {
    const n = [...input.value].length;
    count.textContent = n > MAX - 200 ? `${n} / ${MAX}` : '';
    sendBtn.disabled = n > MAX;
  }
  function stopTyping() {
    clearTimeout(st.typingTimer); clearTimeout(st.typingClear);
    if (st.typingSentAt) { st.typingSentAt = 0; if (hasOpenSession()) api('POST', '/widget/v1/typing', { typing: false }).catch(() => {}); }
  }
  const hasOpenSession = () => st.token && st.session && st.session.status !== 'ended';
  input.addEventListener('input', () => {
    updateCount();
    activity();
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(() => {
      if (!hasOpenSession()) return;
      if (Date.now() - st.typingSentAt > 2000) { st.typingSentAt = Date.now(); api('POST', '/widget/v1/typing', { typing: true }).catch(() => {}); }
      clearTimeout(st.typingClear);
      st.typingClear = setTimeout(stopTyping, TYPING_CLEAR);
    }, TYPING_DEBOUNCE);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') toggle(false); });
  function presence(state) {
    if (!hasOpenSession() || st.presence === state) return;
    st.presence = state;
    api('POST', '/widget/v1/presence', { state }).catch(() => { st.presence = ''; });
  }
  function activity() { st.lastActivity = Date.now(); if (st.presence === 'idle') presence('active'); }
  for (const t of ['mousemove', 'keydown', 'scroll', 'touchstart']) window.addEventListener(t, activity, { passive: true });
  setInterval(() => {
    const state = Date.now() - st.lastActivity >= IDLE_AFTER || document.visibilityState === 'hidden' ? 'idle' : 'active';
    st.presence = ''; presence(state);
  }, HEARTBEAT);
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') { activity(); markRead(); } });
  window.addEventListener('pagehide', () => {
    if (!hasOpenSession() || !navigator.sendBeacon) return;
    navigator.sendBeacon(`${BASE}/widget/v1/presence`, new Blob([JSON.stringify({ state: 'offline', token: st.token })], { type: 'text/plain' }));
  });

  // --- start ---
  async function start() {
    document.body.append(host);
    try {
      st.settings = await api('GET', `/widget/v1/widgets/${encodeURIComponent(KEY)}`);
      title.textContent = st.settings.name;
      panel.setAttribute('aria-label', `Chat with ${st.settings.name}`);
      if (!st.token && st.settings.welcome_text) {
        log.append(el('div', { class: 'msg other', 'data-welcome': '1', text: st.settings.welcome_text }));
      }
    } catch (_) { /* the chat still works without its settings */ }
    renderSession();
    if (st.token) { st.loaded = true; load(); }
  }
  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
