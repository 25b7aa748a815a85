// live.js: applies the real-time events (events.js) to the store, with the attention signals
// (unread count, sound, desktop notification) they call for.

import { store, isSupervisor } from './state.js';
import { ctx, viewing } from './ctx.js';
import { beep, notifyDesktop } from './notify.js';
import { customerName, truncate } from './format.js';
import { loadAll, loadAgentsSoon, loadMessages, markRead, refreshSession } from './loaders.js';

/** Web chat visitors' typing indicators, cleared 3 s after the last news (session id -> timer). */
const typingTimers = new Map();

/** Sessions being accepted by this page (their assignment is not news to it). */
export const accepting = new Set();

/** A customer started waiting or wrote: unread count, sound, title badge, notification. */
function attention(sessionId, message) {
  const s = store.session(sessionId);
  const me = store.me;
  const relevant = !s || s.status === 'waiting' || (s.agent_id != null && s.agent_id === me?.id);
  if (!relevant) return;
  if (viewing(sessionId)) {
    markRead(sessionId);
    return;
  }
  store.bumpUnread(sessionId);
  beep();
  const who = customerName(s);
  if (message) notifyDesktop(`${who} wrote`, truncate(message.content || `[${message.type}]`, 120), `m${sessionId}`);
  else notifyDesktop('A customer is waiting', who, `w${sessionId}`);
}

export function onEvent(type, data) {
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
    case 'session.extended': // the customer wrote: expiry, window and activity moved (#2)
      store.extendSession(data);
      break;
    case 'session.updated': // labels or priority changed
      store.upsertSession(data);
      break;
    case 'session.assigned': {
      // Also a transfer, decline or claim lease: the chat may be back in a queue.
      const { prev, cur } = store.upsertSession(data, { requeue: true });
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
        ctx.shell?.toast(`You were assigned a chat with ${customerName(cur)}.`);
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
      if (!known && data.sender_type === 'customer') attention(data.session_id, data);
      if (data.sender_type === 'agent' && data.sender_id != null && !store.agents.has(Number(data.sender_id))) {
        loadAgentsSoon(); // an author we cannot name yet
      }
      break;
    }
    case 'message.status':
    case 'message.updated':
      store.upsertMessage(data);
      break;
    case 'agent.status':
      store.upsertAgent(data);
      if (data.id === me?.id) store.setMe(data);
      // Agents receive only their own status event: re-read everyone's names and presence.
      if (!isSupervisor(me)) loadAgentsSoon();
      break;
    case 'read.updated': // this agent read the chat in another tab or device (#11)
      store.setReadPosition(data.session_id, data.message_id);
      store.clearUnread(data.session_id);
      break;
    case 'customer.typing': { // a web chat visitor types; it clears after 3 s without news
      store.setVisitor(data.session_id, { typing: !!data.typing });
      clearTimeout(typingTimers.get(data.session_id));
      if (data.typing) {
        typingTimers.set(data.session_id, setTimeout(() => store.setVisitor(data.session_id, { typing: false }), 3000));
      }
      break;
    }
    case 'session.window': { // the WhatsApp window closes in 2 hours (issue 8)
      const s = store.session(data.session_id);
      if (s && s.status === 'active' && s.agent_id === me?.id) {
        ctx.shell?.toast(`The WhatsApp window with ${customerName(s)} closes in 2 hours; after that only templates.`);
      }
      break;
    }
    case 'customer.presence':
      store.setVisitor(data.session_id, { presence: data.state });
      break;
    case 'reset':
      loadAll().catch(() => {});
      break;
    default:
      break;
  }
}
