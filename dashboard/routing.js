// routing.js: the URL hash (#/tab[/session]) is the route; opening a chat loads it.

import { store, isSupervisor } from './state.js';
import { ctx } from './ctx.js';
import { loadAllPage, loadMessages, refreshSession, loadPrevious, markRead } from './loaders.js';

export const TABS = ['waiting', 'mine', 'all', 'history', 'reports'];

export function parseHash() {
  const m = /^#\/([a-z]+)(?:\/(\d+))?$/.exec(location.hash);
  let tab = m && TABS.includes(m[1]) ? m[1] : 'waiting';
  if ((tab === 'all' || tab === 'reports') && !isSupervisor(store.me)) tab = 'waiting';
  return { tab, sessionId: m && m[2] ? Number(m[2]) : null };
}

export function hashFor(tab, sessionId) {
  return `#/${tab}${sessionId != null ? `/${sessionId}` : ''}`;
}

export function navigate(tab, sessionId) {
  const hash = hashFor(tab, sessionId);
  if (location.hash !== hash) location.hash = hash;
  else onRoute();
}

export function onRoute() {
  if (!ctx.shell) return;
  const prev = ctx.route;
  ctx.route = parseHash();
  const canonical = hashFor(ctx.route.tab, ctx.route.sessionId);
  if (location.hash !== canonical) history.replaceState(null, '', canonical);
  const { tab, sessionId } = ctx.route;
  if (sessionId != null && sessionId !== prev.sessionId) openSession(sessionId);
  if (sessionId != null && document.visibilityState === 'visible') {
    store.clearUnread(sessionId);
    markRead(sessionId);
  }
  if (tab === 'all' && store.pages.all.state === 'idle') loadAllPage(0);
  ctx.shell.renderRoute(prev);
  store.emit('route');
}

/** Whether the server still lets us read a session we hold (agents: waiting ones and their own). */
export function visibleToMe(s) {
  const me = store.me;
  return !s || isSupervisor(me) || s.status === 'waiting' || s.agent_id === me?.id;
}

export async function openSession(id) {
  const s = store.session(id);
  if (!visibleToMe(s)) return; // taken by or reassigned to someone else: show what we have
  const tasks = [loadMessages(id).then(() => markRead(id)), loadPrevious(id)];
  if (!s) tasks.push(refreshSession(id));
  await Promise.all(tasks);
}
