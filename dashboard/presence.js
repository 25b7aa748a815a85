// presence.js: the agent's own presence follows its activity: `away` after a while without
// input (10 minutes; `?idle_ms=N` in the page URL or window.HANDOFFD_IDLE_MS for tests), and
// `online` again on the next input, but only when the page itself made the agent away.

export const DEFAULT_IDLE_MS = 10 * 60 * 1000;
const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'focus'];

/** The idle delay for this page. */
export function idleDelay(search = location.search, override = window.HANDOFFD_IDLE_MS) {
  const fromUrl = Number(new URLSearchParams(search).get('idle_ms'));
  if (Number.isFinite(fromUrl) && fromUrl > 0) return fromUrl;
  const n = Number(override);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_IDLE_MS;
}

export class IdleWatcher {
  /** status(): the agent's current status; setStatus(s): changes it (PUT /api/me/status). */
  constructor({ status, setStatus, delay = idleDelay() }) {
    this.status = status;
    this.setStatus = setStatus;
    this.delay = delay;
    this.autoAway = false;
    this.last = Date.now();
    this.timer = null;
    this.onActivity = () => this.activity();
  }

  start() {
    for (const type of ACTIVITY) window.addEventListener(type, this.onActivity, { capture: true, passive: true });
    this.schedule();
  }

  stop() {
    for (const type of ACTIVITY) window.removeEventListener(type, this.onActivity, { capture: true });
    clearTimeout(this.timer);
  }

  /** The agent chose a status by hand: the page no longer undoes it. */
  chosen() {
    this.autoAway = false;
  }

  activity() {
    this.last = Date.now();
    if (this.autoAway) {
      this.autoAway = false;
      if (this.status() === 'away') this.setStatus('online');
    }
    if (!this.timer) this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      const idle = Date.now() - this.last;
      if (idle < this.delay) {
        this.schedule();
        return;
      }
      if (this.status() === 'online') {
        this.autoAway = true;
        this.setStatus('away');
      }
    }, Math.max(0, this.delay - (Date.now() - this.last)));
  }
}
