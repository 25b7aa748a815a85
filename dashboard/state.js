// state.js: the dashboard's single store. REST loads and real-time events both go through the
// same upsert functions, which deduplicate by id and never let stale data overwrite newer data:
//   - a session never moves back in its life cycle (waiting < active < ended),
//   - a message's delivery status only moves forward (queued < sent < delivered < read; failed is final),
//   - expires_at / last_customer_message_at only move forward.
// Views subscribe and receive the set of topics that changed, batched once per microtask.

const SESSION_RANK = { waiting: 0, active: 1, ended: 2 };
const DELIVERY_RANK = { received: 0, internal: 0, queued: 1, sent: 2, delivered: 3, read: 4, failed: 5 };

/** Role check shared by the controller and the views. */
export function isSupervisor(agent) {
  return !!agent && (agent.role === 'supervisor' || agent.role === 'admin');
}

function laterIso(a, b) {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b; // RFC 3339 UTC with a fixed format compares as text
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function emptyPage() {
  return { ids: [], total: 0, limit: 50, offset: 0, params: {}, state: 'idle', error: null };
}

/** Merges an incoming SESSION into the one held (if any); returns the value to keep.
 * `requeue`: `next` is news, not a snapshot (a session.assigned event, the answer of a decline
 * or transfer, a fresh read of this one session), so an active chat may go back to waiting
 * (transfer to a team, decline, claim lease); an ended one never reopens. */
export function mergeSession(prev, next, requeue = false) {
  if (!prev) return next;
  const pr = SESSION_RANK[prev.status] ?? 0;
  const nr = SESSION_RANK[next.status] ?? 0;
  const back = requeue && prev.status === 'active' && next.status === 'waiting';
  if (nr < pr && !back) return prev; // a stale snapshot (e.g. a REST page older than an event)
  if (nr === pr && pr === SESSION_RANK.active && prev.assigned_at && next.assigned_at &&
      next.assigned_at < prev.assigned_at) {
    return prev; // an older assignment than the one we know (reassignments move assigned_at)
  }
  return {
    ...prev,
    ...next,
    expires_at: laterIso(prev.expires_at, next.expires_at),
    last_customer_message_at: laterIso(prev.last_customer_message_at, next.last_customer_message_at),
    window_expires_at: laterIso(prev.window_expires_at, next.window_expires_at) ?? null,
  };
}

/** When a message happened: a customer's own time (sent_at, #14) when known, else arrival. */
export function messageTime(m) {
  return (m.direction === 'in' && m.sent_at) || m.created_at || '';
}

/** Chat order: by messageTime, then by arrival (id). */
export function compareMessages(a, b) {
  const ta = messageTime(a);
  const tb = messageTime(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id - b.id;
}

/** Merges an incoming MESSAGE into the one held (if any); delivery status is monotonic. */
export function mergeMessage(prev, next) {
  if (!prev) return next;
  const pr = DELIVERY_RANK[prev.delivery_status] ?? 0;
  const nr = DELIVERY_RANK[next.delivery_status] ?? 0;
  if (nr < pr) return { ...next, ...prev }; // a stale snapshot (e.g. the POST answer after the status event)
  return { ...prev, ...next, channel_message_id: next.channel_message_id ?? prev.channel_message_id ?? null };
}

class Store {
  constructor() {
    this.listeners = new Set();
    this.pending = new Set();
    this.scheduled = false;
    this.clear();
  }

  /** Forgets everything (logout, expired login). */
  clear() {
    this.me = null;
    this.sessions = new Map();      // id -> SESSION
    this.messages = new Map();      // session id -> Map(message id -> MESSAGE)
    this.sortedCache = new Map();   // session id -> MESSAGE[] sorted by id
    this.messageState = new Map();  // session id -> 'loading' | 'loaded' | {error}
    this.agents = new Map();        // id -> AGENT (every agent: names of authors, presence)
    this.previous = new Map();      // session id -> [SESSION] the customer's earlier sessions
    this.readPositions = new Map(); // session id -> last message id read (server-side, #11)
    this.unread = new Map();        // session id -> count
    this.taken = new Map();         // session id -> {name, kind: 'taken'|'reassigned'} (lost to another agent)
    this.visitor = new Map();       // session id -> {typing: bool, presence} (web chat visitors)
    this.connection = 'connecting'; // 'connecting' | 'open' | 'reconnecting'
    this.pages = { all: emptyPage(), history: emptyPage() };
    this.emit('all');
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(topic) {
    this.pending.add(topic);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      const topics = this.pending;
      this.pending = new Set();
      this.scheduled = false;
      for (const fn of [...this.listeners]) {
        try {
          fn(topics);
        } catch (err) {
          // One broken view must not stop the others from updating.
          console.warn('view update failed', err);
        }
      }
    });
  }

  // --- web chat visitors ------------------------------------------------------------------
  /** Merges what a web chat visitor is doing (customer.typing / customer.presence). */
  setVisitor(sessionId, patch) {
    this.visitor.set(sessionId, { ...this.visitor.get(sessionId), ...patch });
    this.emit('sessions');
    this.emit(`session:${sessionId}`);
  }

  visitorOf(sessionId) {
    return this.visitor.get(sessionId) || {};
  }

  // --- me ---------------------------------------------------------------------------------
  setMe(agent) {
    if (same(this.me, agent)) return;
    this.me = agent ? { ...this.me, ...agent } : null;
    if (agent && this.agents.has(agent.id)) this.upsertAgent(agent);
    this.emit('me');
  }

  // --- sessions ---------------------------------------------------------------------------
  /** Applies a SESSION; returns {prev, cur, changed}. */
  upsertSession(session, { requeue = false } = {}) {
    if (!session || session.id == null) return { prev: undefined, cur: undefined, changed: false };
    const prev = this.sessions.get(session.id);
    const cur = mergeSession(prev, session, requeue);
    const changed = !same(prev, cur);
    if (changed) {
      this.sessions.set(session.id, cur);
      // Back in a queue (transfer to a team, decline, claim lease): no longer someone else's.
      if (cur.status === 'waiting' && this.taken.delete(session.id)) this.emit('taken');
      this.emit('sessions');
      this.emit(`session:${session.id}`);
    }
    return { prev, cur, changed };
  }

  /** A customer's message moved a session's timers (session.extended: {session_id,
   * last_customer_message_at, expires_at, window_expires_at}): applied to the session held, if
   * any, forward only (mergeSession). Returns whether anything changed. */
  extendSession(timers) {
    const prev = timers && this.sessions.get(timers.session_id);
    if (!prev) return false;
    const { session_id: id, ...moved } = timers;
    return this.upsertSession({ ...prev, ...moved, id }).changed;
  }

  upsertSessions(list) {
    for (const s of list || []) this.upsertSession(s);
  }

  /** Drops a session we may no longer see (404/403 on reload). */
  removeSession(id) {
    if (!this.sessions.delete(id)) return;
    this.unread.delete(id);
    this.emit('sessions');
    this.emit('unread');
    this.emit(`session:${id}`);
  }

  session(id) {
    return this.sessions.get(id);
  }

  /** Waiting sessions of the queues I work (agents: my teams; supervisors: all), optionally of
   * one team: higher priority first, then the queue's own order, then the oldest. */
  waitingSessions(teamId = null) {
    const me = this.me;
    const mine = new Set((me?.teams || []).map((t) => t.id));
    const everyQueue = isSupervisor(me) || !me?.teams;
    return [...this.sessions.values()]
      .filter((s) => s.status === 'waiting')
      .filter((s) => everyQueue || s.team_id == null || mine.has(s.team_id))
      .filter((s) => teamId == null || s.team_id === teamId)
      .sort((a, b) => (b.priority ?? 0) - (a.priority ?? 0) ||
        (a.team_id === b.team_id && a.queue_position != null && b.queue_position != null
          ? a.queue_position - b.queue_position : 0) ||
        (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
  }

  myChats() {
    const me = this.me;
    if (!me) return [];
    return [...this.sessions.values()]
      .filter((s) => s.status === 'active' && s.agent_id === me.id)
      .sort((a, b) => (this.lastActivity(b) > this.lastActivity(a) ? 1 : -1));
  }

  /** The time of the newest thing that happened in a session, for sorting chats. */
  lastActivity(s) {
    const msgs = this.messagesOf(s.id);
    const last = msgs.length ? msgs[msgs.length - 1].created_at : null;
    return laterIso(laterIso(s.assigned_at, s.last_customer_message_at), last) || s.created_at;
  }

  // --- messages ---------------------------------------------------------------------------
  /** Applies a MESSAGE; returns {prev, cur, changed}. */
  upsertMessage(message) {
    if (!message || message.id == null || message.session_id == null) {
      return { prev: undefined, cur: undefined, changed: false };
    }
    let byId = this.messages.get(message.session_id);
    if (!byId) {
      byId = new Map();
      this.messages.set(message.session_id, byId);
    }
    const prev = byId.get(message.id);
    const cur = mergeMessage(prev, message);
    const changed = !same(prev, cur);
    if (changed) {
      byId.set(message.id, cur);
      this.sortedCache.delete(message.session_id);
      this.emit('messages');
      this.emit(`messages:${message.session_id}`);
    }
    return { prev, cur, changed };
  }

  upsertMessages(list) {
    for (const m of list || []) this.upsertMessage(m);
  }

  hasMessage(sessionId, id) {
    return !!this.messages.get(sessionId)?.has(id);
  }

  /** The session's messages, oldest first (compareMessages). */
  messagesOf(sessionId) {
    let sorted = this.sortedCache.get(sessionId);
    if (!sorted) {
      sorted = [...(this.messages.get(sessionId)?.values() ?? [])].sort(compareMessages);
      this.sortedCache.set(sessionId, sorted);
    }
    return sorted;
  }

  setMessageState(sessionId, state) {
    if (same(this.messageState.get(sessionId), state)) return;
    this.messageState.set(sessionId, state);
    this.emit(`messages:${sessionId}`);
  }

  // --- agents -----------------------------------------------------------------------------
  setAgents(list) {
    const next = new Map((list || []).map((a) => [a.id, a]));
    if (same([...this.agents.values()], [...next.values()])) return;
    this.agents = next;
    this.emit('agents');
  }

  upsertAgent(agent) {
    if (!agent || agent.id == null) return;
    const prev = this.agents.get(agent.id);
    const cur = { ...prev, ...agent };
    if (same(prev, cur)) return;
    this.agents.set(agent.id, cur);
    this.emit('agents');
  }

  // --- previous sessions, read positions ------------------------------------------------
  setPrevious(sessionId, list) {
    if (same(this.previous.get(sessionId), list)) return;
    this.previous.set(sessionId, list);
    this.upsertSessions(list);
    this.emit(`session:${sessionId}`);
  }

  setReadPositions(positions) {
    for (const [k, v] of Object.entries(positions || {})) this.setReadPosition(Number(k), Number(v));
  }

  setReadPosition(sessionId, messageId) {
    if (!(messageId > (this.readPositions.get(sessionId) ?? 0))) return;
    this.readPositions.set(sessionId, messageId);
    this.emit('unread');
  }

  // --- unread counts, race notices, connection --------------------------------------------
  bumpUnread(sessionId, n = 1) {
    this.unread.set(sessionId, (this.unread.get(sessionId) || 0) + n);
    this.emit('unread');
  }

  clearUnread(sessionId) {
    if (!this.unread.has(sessionId)) return;
    this.unread.delete(sessionId);
    this.emit('unread');
  }

  unreadOf(sessionId) {
    return this.unread.get(sessionId) || 0;
  }

  totalUnread() {
    let n = 0;
    for (const v of this.unread.values()) n += v;
    return n;
  }

  setTaken(sessionId, info) {
    this.taken.set(sessionId, info);
    this.emit(`session:${sessionId}`);
    this.emit('taken');
  }

  setConnection(state) {
    if (this.connection === state) return;
    this.connection = state;
    this.emit('connection');
  }

  // --- paginated lists (All, History) -----------------------------------------------------
  setPage(name, patch) {
    this.pages[name] = { ...this.pages[name], ...patch };
    this.emit(`page:${name}`);
  }
}

export const store = new Store();
