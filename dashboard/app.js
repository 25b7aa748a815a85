// app.js: boots the dashboard: login, then the event stream first and the lists once it is
// open (one cursor for both), the shell, idle presence. The controller lives in ctx.js,
// routing.js, loaders.js, live.js and actions.js.

import * as api from './api.js';
import { store } from './state.js';
import { ctx } from './ctx.js';
import { EventStream } from './events.js';
import { setTitleCount, unlockAudio, unlockAudioOnGesture } from './notify.js';
import { LoginView } from './views/login.js';
import { Shell } from './views/shell.js';
import { hashFor, onRoute } from './routing.js';
import { loadAll, loadMine, loadWaiting, markRead, stopLoaders } from './loaders.js';
import { onEvent } from './live.js';
import { makeActions } from './actions.js';
import { IdleWatcher } from './presence.js';

const RECHECK_MS = 60000;
const SIGNED_IN_KEY = 'handoffd.signedIn';

const root = document.getElementById('app');
let stream = null;
let recheckTimer = null;
let idle = null;

function rememberSignedIn(yes) {
  try {
    if (yes) localStorage.setItem(SIGNED_IN_KEY, '1');
    else localStorage.removeItem(SIGNED_IN_KEY);
  } catch {
    // Storage disabled: boot then always asks the server.
  }
}

function maybeSignedIn() {
  try {
    return !!api.getToken() || localStorage.getItem(SIGNED_IN_KEY) === '1';
  } catch {
    return true;
  }
}

ctx.actions = makeActions({
  onLogout: () => {
    stop();
    login.show('You are signed out.');
  },
});
const setStatusByHand = ctx.actions.setStatus;
ctx.actions.setStatus = (status) => {
  idle?.chosen();
  return setStatusByHand(status);
};

function start(agent) {
  rememberSignedIn(true);
  store.clear();
  store.setMe(agent);
  login.hide();
  root.hidden = false;
  ctx.shell = new Shell(root, ctx);
  // The stream opens first and the lists load once it is open: whatever happens in between is
  // in the lists or in the stream, never in neither (issue 13 #0). Reconnections after a gap
  // load them again (`reset`).
  let opened = false;
  stream = new EventStream({
    onEvent,
    onState: (state) => {
      store.setConnection(state);
      if (state === 'open' && !opened) {
        opened = true;
        loadAll().catch(() => {});
      }
    },
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
  // A safety net for anything the event feed does not tell an agent (e.g. a chat reassigned away).
  recheckTimer = setInterval(() => {
    if (store.connection === 'open') Promise.all([loadWaiting(), loadMine()]).catch(() => {});
  }, RECHECK_MS);
  idle = new IdleWatcher({ status: () => store.me?.status, setStatus: (s) => setStatusByHand(s) });
  idle.start();
}

function stop() {
  stream?.stop();
  stream = null;
  idle?.stop();
  idle = null;
  clearInterval(recheckTimer);
  stopLoaders();
  ctx.shell?.destroy();
  ctx.shell = null;
  store.clear();
  setTitleCount(0);
  root.hidden = true;
  rememberSignedIn(false);
}

const login = new LoginView({
  onSignedIn: (agent) => {
    unlockAudio(); // the click on "Sign in" is the gesture browsers require for sound
    start(agent);
  },
});

api.onUnauthorized(() => {
  if (!ctx.shell) return;
  api.forgetToken();
  stop();
  login.show('Your login has expired. Please sign in again.');
});

store.subscribe((topics) => {
  if (topics.has('unread') || topics.has('all')) setTitleCount(store.totalUnread());
  const open = ctx.route.sessionId;
  // An accepted chat (session:id) may now send WhatsApp read receipts too.
  if (open != null && (topics.has(`messages:${open}`) || topics.has(`session:${open}`))) markRead(open);
});

window.addEventListener('hashchange', onRoute);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && ctx.route.sessionId != null) {
    store.clearUnread(ctx.route.sessionId);
    markRead(ctx.route.sessionId);
  }
});
unlockAudioOnGesture();

async function boot() {
  let me = null;
  // Only ask who we are when this browser has signed in before: a first visit shows the login
  // page without a 401 in the console.
  if (maybeSignedIn()) {
    try {
      me = await api.me();
    } catch (err) {
      if (err.status !== 401) login.show(err.status === 0 ? 'Cannot reach handoffd right now.' : '');
      else {
        rememberSignedIn(false);
        login.show('');
      }
    }
  } else {
    login.show('');
  }
  document.documentElement.classList.remove('booting');
  if (me) start(me);
}

boot();
