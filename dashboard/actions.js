// actions.js: what the views ask the controller to do (ctx.actions).

import * as api from './api.js';
import { store } from './state.js';
import { ctx, reportError } from './ctx.js';
import { navigate } from './routing.js';
import { accepting } from './live.js';
import {
  loadAgentsSoon, loadAllPage, loadHistory, loadMessages, refreshSession,
} from './loaders.js';

const TAKEN_RE = /taken by (.+?)\.?$/i;

/** Who won a lost Accept race: the 409's structured details, else its message text. */
export function takenBy(err) {
  const name = err?.details?.agent_name;
  if (typeof name === 'string' && name) return name;
  const m = TAKEN_RE.exec(err?.message || '');
  return m ? m[1] : null;
}

export function makeActions({ onLogout }) {
  return {
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
        const name = takenBy(err);
        const s = store.session(id);
        if (s && s.status === 'active' && s.agent_id != null && s.agent_id !== store.me?.id && s.agent_name) {
          // The feed already told us who won.
          store.setTaken(id, { name: s.agent_name, kind: 'taken' });
        } else if (name) {
          store.setTaken(id, { name, kind: 'taken' });
          if (s && s.status === 'waiting') {
            const agentId = err.details?.agent_id ?? null;
            store.upsertSession({ ...s, status: 'active', agent_id: agentId, agent_name: name, assigned_at: s.assigned_at });
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
      ctx.shell?.toast(`Assigned to ${s.agent_name || 'the agent'}.`);
      loadAgentsSoon();
    },

    /** opts: {replyTo, key} (api.sendMessage). */
    async send(id, content, opts) {
      const m = await api.sendMessage(id, content, opts);
      store.upsertMessage(m);
      return m;
    },

    addNote(id, content) {
      return api.addNote(id, content);
    },

    loadSessionMessages(id) {
      return loadMessages(id);
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
      onLogout();
    },
  };
}
