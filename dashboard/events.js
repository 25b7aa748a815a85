// events.js: the real-time stream (GET /api/events, Server-Sent Events; the login cookie
// authenticates it).
//
// - While the browser's EventSource reconnects by itself it resends Last-Event-ID, and the
//   server replays what was missed (or sends `reset` when it cannot): nothing to do here but
//   report the state, so the UI can show "Reconnecting…".
// - When the browser gives up (readyState CLOSED: an HTTP error, a restart answering 5xx, ...)
//   a new EventSource is opened with backoff. A new object cannot send Last-Event-ID, so it
//   passes ?last_event_id= (which handoffd also reads), and once it opens the stream reports a
//   synthetic `reset` as well, so the app reloads from REST whatever the server could replay.

import { apiUrl } from './api.js';

export const EVENT_TYPES = [
  'session.created',
  'customer.typing',
  'customer.presence',
  'session.assigned',
  'session.ended',
  'session.updated',
  'session.extended',
  'session.window',
  'message.created',
  'message.status',
  'message.updated',
  'agent.status',
  'read.updated',
  'reset',
];

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];
// A connection attempt that has not opened by then is abandoned and made afresh (a server that
// is shutting down may accept a connection and never answer it).
const CONNECT_TIMEOUT_MS = 12000;

export class EventStream {
  /**
   * onEvent(type, data, id): one parsed event.
   * onState(state): 'connecting' | 'open' | 'reconnecting'.
   * canReconnect(): async; false stops (e.g. the login expired); called before a fresh connection.
   */
  constructor({ onEvent, onState, canReconnect }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.canReconnect = canReconnect || (async () => true);
    this.source = null;
    this.retryTimer = null;
    this.connectTimer = null;
    this.attempt = 0;
    this.stopped = true;
    this.lastEventId = null;
    this.needsReload = false;
  }

  start() {
    this.stopped = false;
    this.setState('connecting');
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.connectTimer);
    this.retryTimer = null;
    if (this.source) this.source.close();
    this.source = null;
  }

  setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }

  open() {
    if (this.stopped) return;
    // A new EventSource cannot send Last-Event-ID; handoffd also reads it from ?last_event_id=.
    const query = this.needsReload && this.lastEventId ? { last_event_id: this.lastEventId } : undefined;
    const source = new EventSource(apiUrl('/api/events', query));
    this.source = source;
    this.watchConnect(source);
    source.onopen = () => {
      if (source !== this.source) return;
      clearTimeout(this.connectTimer);
      this.attempt = 0;
      this.setState('open');
      if (this.needsReload) {
        this.needsReload = false;
        this.onEvent('reset', { reason: 'reconnected' }, null);
      }
    };
    source.onerror = () => {
      if (source !== this.source || this.stopped) return;
      this.setState('reconnecting');
      if (source.readyState === EventSource.CLOSED) this.scheduleFreshConnection();
      else this.watchConnect(source); // the browser retries by itself; make sure it gets somewhere
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => {
        if (source !== this.source) return;
        if (event.lastEventId) this.lastEventId = event.lastEventId;
        let data = null;
        try {
          data = event.data ? JSON.parse(event.data) : {};
        } catch {
          return; // not JSON: ignore rather than break the stream
        }
        this.onEvent(type, data, event.lastEventId || null);
      });
    }
  }

  watchConnect(source) {
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      if (source === this.source && !this.stopped && source.readyState !== EventSource.OPEN) {
        this.setState('reconnecting');
        this.scheduleFreshConnection();
      }
    }, CONNECT_TIMEOUT_MS);
  }

  scheduleFreshConnection() {
    clearTimeout(this.connectTimer);
    if (this.source) this.source.close();
    this.source = null;
    this.needsReload = true;
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(async () => {
      if (this.stopped) return;
      let ok = true;
      try {
        ok = await this.canReconnect();
      } catch {
        ok = true; // unknown: try anyway
      }
      if (this.stopped) return;
      if (ok) this.open();
      else this.scheduleFreshConnection();
    }, delay);
  }
}
