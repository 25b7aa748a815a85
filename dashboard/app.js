// app.js: boots the dashboard and is its controller: routing (#/tab[/session]), loading from
// REST, applying real-time events to the store, and the actions the views call.

import * as api from './api.js';
import { store, isSupervisor } from './state.js';
import { EventStream } from './events.js';
import { beep, setTitleCount, unlockAudio, unlockAudioOnGesture } from './notify.js';
import { LoginView } from './views/login.js';
import { Shell } from './views/shell.js';
import { HISTORY_PAGE_SIZE } from './views/history.js';
import { customerName } from './format.js';

const TABS = ['waiting', 'mine', 'all', 'history'];
const ALL_PAGE_SIZE = 50;
const MESSAGE_PAGE = 1000;
const RECHECK_MS = 60000;

const root = document.getElementById('app');
let shell = null;
let stream = null;
let recheckTimer = null;
let agentsTimer = null;
let historySeq = 0;
let allSeq = 0;
const accepting = new Set();

const ctx = {
  route: { tab: 'waiting', sessionId: null },
  actions: {},
};

// --- routing ---------------------------------------------------------------------------------
function parseHash() {
  const m = /^#\/([a-z]+)(?:\/(\d+))?$/.exec(location.hash);
  let tab = m && TABS.includes(m[1]) ? m[1] : 'waiting';
  if (tab === 'all' && !isSupervisor(store.me)) tab = 'waiting';
  return { tab, sessionId: m && m[2] ? Number(m[2]) : null };
}

function hashFor(tab, sessionId) {
  return `#/${tab}${sessionId != null ? `/${sessionId}` : ''}`;
}

function navigate(tab, sessionId) {
  const hash = hashFor(tab, sessionId);
  if (location.hash !== hash) location.hash = hash;
  else onRoute();
}

function onRoute() {
  if (!shell) return;
  const prev = ctx.route;
  ctx.route = parseHash();
  const canonical = hashFor(ctx.route.tab, ctx.route.sessionId);
  if (location.hash !== canonical) history.replaceState(null, '', canonical);
  const { tab, sessionId } = ctx.route;
  if (sessionId != null && sessionId !== prev.sessionId) openSession(sessionId);
  if (sessionId != null && document.visibilityState === 'visible') store.clearUnread(sessionId);
  if (tab === 'all' && store.pages.all.state === 'idle') loadAllPage(0);
  shell.renderRoute(prev);
  store.emit('route');
}

/** Whether the server still lets us read a session we hold (agents: waiting ones and their own). */
function visibleToMe(s) {
  const me = store.me;
  return !s || isSupervisor(me) || s.status === 'waiting' || s.agent_id === me?.id;
}

async function openSession(id) {
  const s = store.session(id);
  if (!visibleToMe(s)) return; // taken by or reassigned to someone else: show what we have
  const tasks = [loadMessages(id)];
  if (!s) tasks.push(refreshSession(id));
  await Promise.all(tasks);
}

// --- REST loads ------------------------------------------------------------------------------
function reportError(err, what) {
  if (!err || err.status === 401 || err.name === 'AbortError') return;
  shell?.toast(`${what}: ${err.message}`, 'error');
}

/** Reloads a session we hold; drops it when we may no longer see it. */
async function refreshSession(id) {
  try {
    store.upsertSession(await api.session(id));
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
function lostSession(s) {
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

async function loadWaiting() {
  const { sessions } = await api.waiting();
  await reconcileSet(sessions || [], (s) => s.status === 'waiting');
}

async function loadMine() {
  const me = store.me;
  const { sessions } = await api.myChats(me.id);
  await reconcileSet(sessions || [], (s) => s.status === 'active' && s.agent_id === me.id);
}

async function loadAgents() {
  if (!isSupervisor(store.me)) return;
  try {
    const res = await api.agents();
    store.setAgents(res?.agents || []);
    const self = store.agents.get(store.me.id);
    if (self) store.setMe(self);
  } catch (err) {
    if (err.status !== 404 && err.status !== 403) reportError(err, 'Could not load agents');
  }
}

function loadAgentsSoon() {
  if (!isSupervisor(store.me)) return;
  clearTimeout(agentsTimer);
  agentsTimer = setTimeout(loadAgents, 400);
}

async function loadMessages(id) {
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
  } catch (err) {
    if (err.status === 401) return;
    store.setMessageState(id, { error: err.message });
  }
}

async function loadAllPage(offset) {
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

async function loadHistory(params, offset = 0) {
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

/**
 * Everything from REST: at start (initial: the route has already loaded its page and chat),
 * on `reset` and after a fresh connection (everything, the open chat and pages included).
 */
async function loadAll({ initial = false } = {}) {
  const tasks = [loadWaiting(), loadMine(), loadAgents()];
  if (!initial) {
    tasks.push(api.me().then((me) => store.setMe(me)));
    const page = store.pages;
    if (page.all.state !== 'idle') tasks.push(loadAllPage(page.all.offset || 0));
    if (page.history.state !== 'idle') tasks.push(loadHistory(page.history.params || {}, page.history.offset || 0));
    const open = ctx.route.sessionId;
    if (open != null && visibleToMe(store.session(open))) tasks.push(refreshSession(open), loadMessages(open));
  }
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) reportError(failed.reason, 'Could not load everything');
}

// --- real-time events ------------------------------------------------------------------------
function viewing(sessionId) {
  return ctx.route.sessionId === sessionId && document.visibilityState === 'visible';
}

/** A customer started waiting or wrote: unread count, sound, title badge. */
function attention(sessionId) {
  const s = store.session(sessionId);
  const me = store.me;
  const relevant = !s || s.status === 'waiting' || (s.agent_id != null && s.agent_id === me?.id);
  if (!relevant) return;
  if (viewing(sessionId)) return;
  store.bumpUnread(sessionId);
  beep();
}

function onEvent(type, data) {
  const me = store.me;
  switch (type) {
    case 'session.created': {
      const { prev } = store.upsertSession(data);
      if (!prev && data.status === 'waiting') attention(data.id);
      const all = store.pages.all;
      if (!prev && all.state === 'loaded' && all.offset === 0 && !all.ids.includes(data.id)) {
        // The All tab's first page is newest first: a new session goes on top.
        store.setPage('all', { ids: [data.id, ...all.ids].slice(0, all.limit), total: all.total + 1 });
      }
      break;
    }
    case 'session.assigned': {
      const { prev, cur } = store.upsertSession(data);
      if (!cur) break;
      const toMe = cur.agent_id === me?.id;
      if (!toMe && !isSupervisor(me)) {
        store.clearUnread(cur.id);
        const taken = store.taken.get(cur.id);
        if (prev?.status === 'waiting' && !taken) {
          store.setTaken(cur.id, { name: cur.agent_name || '', kind: 'taken' });
        } else if (taken?.kind === 'taken' && cur.agent_name && taken.name !== cur.agent_name) {
          // The feed names the winner; a lost Accept's 409 may not have ("another agent").
          store.setTaken(cur.id, { name: cur.agent_name, kind: 'taken' });
        } else if (prev?.agent_id === me?.id) {
          store.setTaken(cur.id, { name: cur.agent_name || '', kind: 'reassigned' });
        }
      }
      if (toMe && prev?.agent_id !== me?.id && store.messageState.has(cur.id)) {
        // Reassigned to me: the feed did not send me this chat's messages while it was someone
        // else's, so what we hold may stop at the moment it was taken. Read it again.
        loadMessages(cur.id);
      }
      if (toMe && prev?.agent_id !== me?.id && !accepting.has(cur.id)) {
        shell?.toast(`You were assigned a chat with ${customerName(cur)}.`);
        if (!viewing(cur.id)) {
          store.bumpUnread(cur.id);
          beep();
        }
      }
      loadAgentsSoon();
      break;
    }
    case 'session.ended':
      store.upsertSession(data);
      store.clearUnread(data.id);
      loadAgentsSoon();
      break;
    case 'message.created': {
      const known = store.hasMessage(data.session_id, data.id);
      store.upsertMessage(data);
      if (!store.session(data.session_id)) refreshSession(data.session_id);
      if (!known && data.sender_type === 'customer') attention(data.session_id);
      break;
    }
    case 'message.status':
      store.upsertMessage(data);
      break;
    case 'agent.status':
      store.upsertAgent(data);
      if (data.id === me?.id) store.setMe(data);
      break;
    case 'reset':
      loadAll().catch(() => {});
      break;
    default:
      break;
  }
}

// --- actions (called by the views) -----------------------------------------------------------
const TAKEN_RE = /taken by (.+?)\.?$/i;

ctx.actions = {
  selectTab(tab) {
    navigate(tab, ctx.route.sessionId);
  },
  openSession(id) {
    navigate(ctx.route.tab, id);
  },
  closeSession() {
    navigate(ctx.route.tab, null);
  },
  loadAllPage,
  loadHistory,
  loadMessages,

  async accept(id) {
    accepting.add(id);
    try {
      const s = await api.assign(id);
      store.upsertSession(s);
      store.clearUnread(id);
      navigate('mine', id);
      requestAnimationFrame(() => document.getElementById('composer')?.focus());
    } catch (err) {
      if (err.status !== 409) throw err;
      // Someone else won the race: say who, not an error. The session is no longer waiting;
      // an agent may not read it any more (403), so it is updated here rather than reloaded.
      store.clearUnread(id);
      const m = TAKEN_RE.exec(err.message || '');
      const s = store.session(id);
      if (s && s.status === 'active' && s.agent_id != null && s.agent_id !== store.me?.id && s.agent_name) {
        // The feed already told us who won: its name beats the 409's (which may be generic).
        store.setTaken(id, { name: s.agent_name, kind: 'taken' });
      } else if (m) {
        store.setTaken(id, { name: m[1], kind: 'taken' });
        if (s && s.status === 'waiting') {
          store.upsertSession({ ...s, status: 'active', agent_id: null, agent_name: m[1], assigned_at: s.assigned_at });
        }
      } else {
        await refreshSession(id);
        const fresh = store.session(id);
        if (fresh?.status === 'ended') throw new Error('This chat has already ended.');
        store.setTaken(id, { name: fresh?.agent_name || '', kind: 'taken' });
      }
    } finally {
      accepting.delete(id);
    }
  },

  async end(id) {
    try {
      store.upsertSession(await api.end(id));
    } catch (err) {
      if (err.status !== 409) throw err;
      await refreshSession(id); // already ended: show it as it is
    }
    store.clearUnread(id);
    loadAgentsSoon();
  },

  async assign(id, agentId) {
    const s = await api.assign(id, agentId);
    store.upsertSession(s);
    shell?.toast(`Assigned to ${s.agent_name || 'the agent'}.`);
    loadAgentsSoon();
  },

  async send(id, content) {
    const m = await api.sendMessage(id, content);
    store.upsertMessage(m);
    return m;
  },

  async setStatus(status) {
    const before = store.me?.status;
    try {
      store.setMe(await api.setStatus(status));
    } catch (err) {
      store.setMe({ ...store.me, status: before });
      store.emit('me');
      reportError(err, 'Could not change your status');
    }
  },

  async logout() {
    try {
      await api.logout();
    } catch {
      // The token is forgotten locally either way.
    }
    stop();
    login.show('You are signed out.');
  },
};

// --- start / stop ----------------------------------------------------------------------------
function start(agent) {
  store.clear();
  store.setMe(agent);
  login.hide();
  root.hidden = false;
  shell = new Shell(root, ctx);
  stream = new EventStream({
    onEvent,
    onState: (state) => store.setConnection(state),
    canReconnect: async () => {
      try {
        await api.me();
        return true;
      } catch (err) {
        return err.status !== 401; // 401: the unauthorized handler signs out
      }
    },
  });
  stream.start();
  if (!location.hash) history.replaceState(null, '', hashFor('waiting', null));
  ctx.route = { tab: null, sessionId: null };
  onRoute();
  loadAll({ initial: true }).catch(() => {});
  // A safety net for anything the event feed does not tell an agent (e.g. a chat reassigned away).
  recheckTimer = setInterval(() => {
    if (store.connection === 'open') Promise.all([loadWaiting(), loadMine()]).catch(() => {});
  }, RECHECK_MS);
}

function stop() {
  stream?.stop();
  stream = null;
  clearInterval(recheckTimer);
  clearTimeout(agentsTimer);
  shell?.destroy();
  shell = null;
  store.clear();
  setTitleCount(0);
  root.hidden = true;
}

const login = new LoginView({
  onSignedIn: (agent) => {
    unlockAudio(); // the click on "Sign in" is the gesture browsers require for sound
    start(agent);
  },
});

api.onUnauthorized(() => {
  if (!shell) return;
  api.forgetToken();
  stop();
  login.show('Your login has expired. Please sign in again.');
});

store.subscribe((topics) => {
  if (topics.has('unread') || topics.has('all')) setTitleCount(store.totalUnread());
});

window.addEventListener('hashchange', onRoute);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && ctx.route.sessionId != null) store.clearUnread(ctx.route.sessionId);
});
unlockAudioOnGesture();

async function boot() {
  let me = null;
  try {
    me = await api.me();
  } catch (err) {
    login.show(err.status === 0 ? 'Cannot reach handoffd right now.' : '');
  } finally {
    document.documentElement.classList.remove('booting');
  }
  if (me) start(me);
}

boot();
