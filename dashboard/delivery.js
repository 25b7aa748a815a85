// delivery.js: what a failed delivery means for the agent (Meta's error classes in plain
// words), and whether WhatsApp's 24-hour customer service window is open, agreeing with the
// failures WhatsApp already reported.

import { WHATSAPP_WINDOW_MS, parseTime } from './format.js';

const CLASSES = [
  { codes: [131047], kind: 'window', text: 'The customer has not written for 24 hours; send a template.' },
  { codes: [130429, 131048, 131056], kind: 'throttled', text: 'WhatsApp is limiting messages to this customer right now; retrying.' },
  { codes: [131026], kind: 'undeliverable', text: 'Undeliverable: the number may not be on WhatsApp, or the customer has not accepted its latest terms.' },
  { codes: [131051], kind: 'unsupported', text: 'WhatsApp does not support this type of message.' },
];

/** {kind, text, details}: a plain explanation of MESSAGE.error, with Meta's code and title as details. */
export function explainFailure(error) {
  const code = Number(error?.code);
  const cls = CLASSES.find((c) => c.codes.includes(code));
  const details = [error?.title, Number.isFinite(code) && error?.code !== '' && error?.code != null ? `code ${error.code}` : null]
    .filter(Boolean).join(' · ');
  return { kind: cls?.kind || 'other', text: cls?.text || 'Delivery failed.', details };
}

/** Whether a message's failure says the window was closed when it was sent. */
export function isWindowFailure(m) {
  return m?.delivery_status === 'failed' && Number(m?.error?.code) === 131047;
}

/**
 * The 24-hour window of `session` at `nowMs`: {open, closesAt (ms or NaN), reason}.
 * reason: 'open' | 'never' (the customer has not written) | 'elapsed' | 'rejected' (WhatsApp
 * refused a reply with 131047 after the customer's last message: closed whatever the clock says).
 */
export function windowState(session, messages, nowMs) {
  // The session's fields are the server's word; a newer customer message in the list (the
  // session's own update may not have arrived yet) extends it.
  const sessionLast = parseTime(session?.last_customer_message_at);
  let listLast = NaN; // the customer's own time of its newest message
  let arrived = NaN; // when handoffd received it (compared with a failure, also stored by handoffd)
  for (const m of messages || []) {
    if (m.direction !== 'in' || m.type === 'reaction' || m.type === 'system') continue;
    const t = parseTime(m.sent_at || m.created_at);
    if (Number.isFinite(t) && !(t <= listLast)) listLast = t;
    const a = parseTime(m.created_at);
    if (Number.isFinite(a) && !(a <= arrived)) arrived = a;
  }
  const explicit = parseTime(session?.window_expires_at);
  let closesAt = Number.isFinite(explicit) ? explicit : sessionLast + WHATSAPP_WINDOW_MS;
  if (Number.isFinite(listLast) && !(listLast <= sessionLast)) {
    closesAt = Number.isFinite(closesAt) ? Math.max(closesAt, listLast + WHATSAPP_WINDOW_MS) : listLast + WHATSAPP_WINDOW_MS;
  }
  const last = Number.isFinite(arrived) && !(arrived <= sessionLast) ? arrived : sessionLast;
  if (!Number.isFinite(closesAt)) return { open: false, closesAt, reason: 'never' };
  const rejected = (messages || []).some((m) => isWindowFailure(m) &&
    !(Number.isFinite(last) && parseTime(m.created_at) < last));
  if (rejected) return { open: false, closesAt, reason: 'rejected' };
  return closesAt > nowMs ? { open: true, closesAt, reason: 'open' } : { open: false, closesAt, reason: 'elapsed' };
}
