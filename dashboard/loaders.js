// loaders.js: everything read from REST into the store: the lists, a chat's messages, the
// agents (names for message authors, presence), the paginated All and History pages, a
// customer's previous sessions and the read positions.

import * as api from './api.js';
import { store, isSupervisor } from './state.js';
import { ctx, reportError, viewing } from './ctx.js';
import { HISTORY_PAGE_SIZE } from './views/history.js';

const ALL_PAGE_SIZE = 50;
const MESSAGE_PAGE = 1000;
let agentsTimer = null;
let historySeq = 0;
let allSeq = 0;
// Optional server features (newer handoffd): turned off after a 404/405 so they are asked once.
const features = { previous: true, readPositions: true };

/** Whether the server still lets us read a session we hold (agents: waiting ones and their own). */
function readable(s) {
  const me = store.me;
  return !s || isSupervisor(me) || s.status === 'waiting' || s.agent_id === me?.id;
}

/** Reloads a session we hold; drops it when we may no longer see it. */
export async function refreshSession(id) {
  try {
    store.upsertSession(await api.session(id), { requeue: true });
  } catch (err) {
    if (err.status !== 404 && err.status !== 403) {
      reportError(err, 'Could not load the session');
      return;
    }
    const s = store.session(id);
    if (ctx.route.sessionId !== id) store.removeSession(id);
    else if (!s) store.setMessageState(id, { error: err.message });
    else if (err.status === 403) lostSession(s);
  }
}

/**
 * An agent may no longer read a session it holds (403): another agent took it from the queue,
 * or a supervisor reassigned it. Keep what is on screen, say so, and take it out of the lists.
 */
export function lostSession(s) {
  if (!store.taken.has(s.id)) {
    store.setTaken(s.id, { name: '', kind: s.status === 'waiting' ? 'taken' : 'reassigned' });
  }
  if (s.status !== 'ended') store.upsertSession({ ...s, status: 'active', agent_id: null, agent_name: null });
}

/** The server's list is the truth for its set: sessions we hold in that set but it lacks are re-read. */
function reconcileSet(fresh, inSet) {
  const ids = new Set(fresh.map((s) => s.id));
  store.upsertSessions(fresh);
  const stale = [...store.sessions.values()].filter((s) => inSet(s) && !ids.has(s.id));
  return Promise.all(stale.map((s) => refreshSession(s.id)));
}

export async function loadWaiting() {
  const { sessions } = await api.waiting();
  await reconcileSet(sessions || [], (s) => s.status === 'waiting');
}

export async function loadMine() {
  const me = store.me;
  const { sessions } = await api.myChats(me.id);
  await reconcileSet(sessions || [], (s) => s.status === 'active' && s.agent_id === me.id);
}

/** Every agent's name (message authors) and presence; supervisors also get load and email. */
export async function loadAgents() {
  try {
    const res = await api.agents();
    store.setAgents(res?.agents || []);
    const self = store.agents.get(store.me?.id);
    if (self) store.setMe(self);
  } catch (err) {
    if (err.status !== 404 && err.status !== 403) reportError(err, 'Could not load agents');
  }
}

export function loadAgentsSoon() {
  clearTimeout(agentsTimer);
  agentsTimer = setTimeout(loadAgents, 400);
}

export function stopLoaders() {
  clearTimeout(agentsTimer);
}

export async function loadMessages(id) {
  if (store.messageState.get(id) !== 'loaded') store.setMessageState(id, 'loading');
  try {
    let afterId;
    for (;;) {
      const res = await api.messages(id, { afterId, limit: MESSAGE_PAGE });
      const list = res?.messages || [];
      store.upsertMessages(list);
      if (list.length < MESSAGE_PAGE) break;
      afterId = list[list.length - 1].id;
    }
    store.setMessageState(id, 'loaded');
    if (store.messagesOf(id).some((m) => m.sender_type === 'agent' && !store.agents.has(Number(m.sender_id)))) {
      loadAgentsSoon(); // an author we cannot name yet
    }
  } catch (err) {
    if (err.status === 401) return;
    store.setMessageState(id, { error: err.message });
  }
}

export async function loadAllPage(offset) {
  const seq = ++allSeq;
  store.setPage('all', { state: 'loading', offset });
  try {
    const res = await api.allSessions({ limit: ALL_PAGE_SIZE, offset });
    if (seq !== allSeq) return;
    store.upsertSessions(res.sessions);
    store.setPage('all', {
      ids: res.sessions.map((s) => s.id), total: res.total, limit: res.limit || ALL_PAGE_SIZE,
      offset: res.offset ?? offset, state: 'loaded', error: null,
    });
  } catch (err) {
    if (seq !== allSeq) return;
    store.setPage('all', { state: 'error', error: err.message });
  }
}

export async function loadHistory(params, offset = 0) {
  const seq = ++historySeq;
  store.setPage('history', { state: 'loading', params, offset });
  try {
    const res = await api.history({ ...params, limit: HISTORY_PAGE_SIZE, offset });
    if (seq !== historySeq) return;
    store.upsertSessions(res.sessions);
    store.setPage('history', {
      ids: res.sessions.map((s) => s.id), total: res.total, limit: res.limit || HISTORY_PAGE_SIZE,
      offset: res.offset ?? offset, state: 'loaded', error: null,
    });
  } catch (err) {
    if (seq !== historySeq) return;
    store.setPage('history', { state: 'error', error: err.message });
  }
}

/** The same customer's earlier sessions (#10), when the server offers them. */
export async function loadPrevious(id) {
  if (!features.previous) return;
  try {
    const res = await api.previousSessions(id);
    store.setPrevious(id, res?.sessions || []);
  } catch (err) {
    if (err.status === 404 || err.status === 405) {
      if (err.code !== 'not_found' || !/session/i.test(err.message || '')) features.previous = false;
    }
  }
}

/** The caller's read positions (#11): unread state that follows the agent across tabs. */
export async function loadReadPositions() {
  if (!features.readPositions) return;
  try {
    const res = await api.readPositions();
    store.setReadPositions(res?.positions || {});
    // What arrived while this device was away: the server counts it from the read positions.
    for (const [key, count] of Object.entries(res?.unread || {})) {
      const id = Number(key);
      if (viewing(id)) markRead(id);
      else if (count > store.unreadOf(id)) store.bumpUnread(id, count - store.unreadOf(id));
    }
  } catch (err) {
    if (err.status === 404 || err.status === 405) features.readPositions = false;
  }
}

// Session id -> the last customer message marked read on WhatsApp (blue ticks), so each is sent once.
const readOnWhatsApp = new Map();

/** An active WhatsApp chat of mine on screen with a customer message not yet marked read there:
 * POST .../read (the customer sees blue ticks). */
function markReadOnWhatsApp(id) {
  const s = store.session(id);
  if (!s || s.channel === 'webchat' || s.status !== 'active' || s.agent_id !== store.me?.id) return;
  let lastIn = 0;
  for (const m of store.messagesOf(id)) if (m.direction === 'in' && m.id > lastIn) lastIn = m.id;
  if (!lastIn || (readOnWhatsApp.get(id) ?? 0) >= lastIn) return;
  readOnWhatsApp.set(id, lastIn);
  api.readOnWhatsApp(id).catch(() => {}); // best effort: the next customer message asks again
}

/** Stores how far the agent has read the open chat (when it is on screen). */
export async function markRead(id) {
  if (viewing(id)) markReadOnWhatsApp(id);
  if (!features.readPositions || !viewing(id)) return;
  const msgs = store.messagesOf(id);
  const last = msgs.length ? Math.max(...msgs.map((m) => m.id)) : null;
  if (last == null || (store.readPositions.get(id) ?? 0) >= last) return;
  store.setReadPosition(id, last);
  try {
    await api.markRead(id, last);
  } catch (err) {
    if (err.status === 404 || err.status === 405) features.readPositions = false;
  }
}

/**
 * Everything from REST: once the event stream is open (so nothing that happens between the
 * lists and the stream is lost), and again after a reconnection with a gap (`reset`).
 */
export async function loadAll() {
  const tasks = [loadWaiting(), loadMine(), loadAgents(), loadReadPositions()];
  tasks.push(api.me().then((me) => store.setMe(me)));
  const page = store.pages;
  if (page.all.state !== 'idle') tasks.push(loadAllPage(page.all.offset || 0));
  if (page.history.state !== 'idle') tasks.push(loadHistory(page.history.params || {}, page.history.offset || 0));
  const open = ctx.route.sessionId;
  if (open != null && readable(store.session(open))) tasks.push(refreshSession(open), loadMessages(open));
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) reportError(failed.reason, 'Could not load everything');
}
