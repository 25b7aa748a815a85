// ctx.js: the controller's shared state: the current route, the actions the views call, the
// shell once signed in, and two helpers every controller module needs.

export const ctx = {
  route: { tab: 'waiting', sessionId: null },
  actions: {},
  shell: null,
};

export function reportError(err, what) {
  if (!err || err.status === 401 || err.name === 'AbortError') return;
  ctx.shell?.toast(`${what}: ${err.message}`, 'error');
}

/** Whether the chat `sessionId` is on screen now. */
export function viewing(sessionId) {
  return ctx.route.sessionId === sessionId && document.visibilityState === 'visible';
}
