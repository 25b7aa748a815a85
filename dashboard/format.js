// format.js: pure formatting helpers (times, durations, names, character counts).

export const MAX_MESSAGE_CODE_POINTS = 4096;
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

let serverOffsetMs = 0;

/** The server's clock minus ours, from the HTTP Date header (1 s precision, so small drifts are ignored). */
export function setServerOffset(ms) {
  serverOffsetMs = Math.abs(ms) > 2000 ? ms : 0;
}

/** "Now" on the server's clock, so countdowns match the server's expiry decisions. */
export function now() {
  return Date.now() + serverOffsetMs;
}

/** Counts Unicode code points (what the server limits to 4096), not UTF-16 units. */
export function codePoints(text) {
  let n = 0;
  for (const _ of text) n++; // eslint-disable-line no-unused-vars
  return n;
}

export function truncate(text, max) {
  const chars = [...(text || '')];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('');
}

export function parseTime(iso) {
  return iso ? Date.parse(iso) : NaN;
}

const pad = (n) => String(n).padStart(2, '0');

/** Compact elapsed time: "42s", "3m 05s", "2h 07m", "1d 4h". */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${pad(m)}m`;
  if (m) return `${m}m ${pad(sec)}s`;
  return `${sec}s`;
}

/** Precise countdown: "21h 59m 58s", "4m 02s". */
export function countdown(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h) return `${h}h ${pad(m)}m ${pad(sec)}s`;
  return `${m}m ${pad(sec)}s`;
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

export function time(iso) {
  const t = parseTime(iso);
  return Number.isFinite(t) ? timeFmt.format(t) : '';
}

export function dateTime(iso) {
  const t = parseTime(iso);
  return Number.isFinite(t) ? dateTimeFmt.format(t) : '—';
}

export function fullDateTime(iso) {
  const t = parseTime(iso);
  return Number.isFinite(t) ? fullFmt.format(t) : '';
}

function localDayKey(t) {
  const d = new Date(t);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A key that changes when the local calendar day changes (for day separators). */
export function dayKey(iso) {
  const t = parseTime(iso);
  return Number.isFinite(t) ? localDayKey(t) : '';
}

/** "Today", "Yesterday" or a date. */
export function dayLabel(iso) {
  const t = parseTime(iso);
  if (!Number.isFinite(t)) return '';
  const today = localDayKey(Date.now());
  const yesterday = localDayKey(Date.now() - 86400000);
  const key = localDayKey(t);
  if (key === today) return 'Today';
  if (key === yesterday) return 'Yesterday';
  return dayFmt.format(t);
}

/** For list rows: a time today, else a short date. */
export function shortWhen(iso) {
  const t = parseTime(iso);
  if (!Number.isFinite(t)) return '';
  return localDayKey(t) === localDayKey(Date.now()) ? timeFmt.format(t) : shortDayFmt.format(t);
}

/** WhatsApp ids are digits: shown with "+"; business-scoped user ids are shown as they are. */
export function phone(p) {
  if (!p) return '';
  return /^\d+$/.test(p) ? `+${p}` : p;
}

export function customerName(session) {
  return session?.customer_name || phone(session?.phone_number) || 'Unknown customer';
}

/** One or two letters for an avatar, skipping bidi controls and punctuation. */
export function initials(name) {
  const words = String(name || '').split(/\s+/).filter(Boolean);
  const letter = (w) => [...w].find((c) => /[\p{L}\p{N}]/u.test(c)) || '';
  const out = (letter(words[0] || '') + (words.length > 1 ? letter(words[words.length - 1]) : '')).toUpperCase();
  return out || '#';
}

export function capitalize(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : '';
}

export const STATUS_LABELS = { online: 'Online', away: 'Away', offline: 'Offline' };
export const SESSION_STATUS_LABELS = { waiting: 'Waiting', active: 'Active', ended: 'Ended' };
export const END_REASON_LABELS = {
  agent: 'ended by the agent',
  customer: 'ended by the customer',
  expired: 'expired',
  supervisor: 'ended by a supervisor',
};
