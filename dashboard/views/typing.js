// views/typing.js: the agent's typing, sent while composing in an active chat of theirs (one
// route for both channels: POST .../typing). Web chat visitors see "typing…" (a repeat at most
// every 2 s, "stopped" 3 s after the last keystroke); WhatsApp customers see WhatsApp's typing
// indicator (handoffd sends it at most once per 20 s; the dashboard asks at most every 10 s).

import { store } from '../state.js';
import * as api from '../api.js';

/** Call on each keystroke in `chat`'s composer (the ChatView; its timers live on it). */
export function sendTyping(chat) {
  const s = chat.session;
  if (!s || s.status !== 'active' || s.agent_id !== store.me?.id || chat.tools?.noteMode) return;
  const id = s.id;
  const webchat = s.channel === 'webchat';
  const every = webchat ? 2000 : 10000;
  clearTimeout(chat.typingDebounce);
  clearTimeout(chat.typingStop);
  chat.typingDebounce = setTimeout(() => {
    if (Date.now() - (chat.typingSentAt || 0) > every || chat.typingSession !== id) {
      chat.typingSentAt = Date.now();
      chat.typingSession = id;
      api.typing(id, true).catch(() => {});
    }
    if (!webchat) return; // WhatsApp's indicator ends by itself (25 s or the reply)
    chat.typingStop = setTimeout(() => {
      chat.typingSentAt = 0;
      api.typing(id, false).catch(() => {});
    }, 3000);
  }, 300);
}
