// api.js: the REST client for handoffd's dashboard API (shared/spec/API.md).
// Every call resolves to the parsed JSON body (null for 204) or rejects with an ApiError that
// carries the HTTP status and the contract's {"error":{"code","message"}}.
// Authentication: only the HttpOnly cookie set at login, which scripts cannot read (issue 9 #5:
// no token is kept where a script could steal it). Writes carry `Content-Type: application/json`
// whenever they have a body; the browser adds `Origin`, which handoffd checks on cookie writes.

import { setServerOffset } from './format.js';

const TOKEN_KEY = 'handoffd.token';
let unauthorizedHandler = null;

export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details; // the error's structured `details` (e.g. a lost Accept's winner)
  }
}

/** Called with the ApiError whenever a request (other than login) answers 401. */
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

/** Always null: the dashboard keeps no token where scripts can read it (the cookie is HttpOnly). */
export function getToken() {
  return null;
}

// Older dashboards kept the token in sessionStorage: drop any such copy.
function dropStoredToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage may be disabled; nothing to drop.
  }
}

/** Resolves an API path relative to the page, so the dashboard also works under a path prefix. */
export function apiUrl(path, query) {
  const url = new URL(path.replace(/^\//, ''), document.baseURI);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue;
    url.searchParams.set(key, String(value));
  }
  return url.toString();
}

async function request(method, path, { query, body, signal, key } = {}) {
  const headers = { Accept: 'application/json' };
  if (key) headers['Idempotency-Key'] = key; // agent sends: a repeat returns the first MESSAGE
  const init = { method, headers, credentials: 'same-origin', signal };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(apiUrl(path, query), init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Cannot reach handoffd. Check your connection and try again.');
  }
  const date = Date.parse(res.headers.get('Date') || '');
  if (Number.isFinite(date)) setServerOffset(date - Date.now());
  if (res.status === 204) return null;
  let data = null;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = new ApiError(
      res.status,
      data?.error?.code || `http_${res.status}`,
      data?.error?.message || res.statusText || `Request failed (HTTP ${res.status})`,
      data?.error?.details && typeof data.error.details === 'object' ? data.error.details : null,
    );
    if (res.status === 401 && path !== '/api/auth/login' && unauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }
  return data;
}

const id = (v) => encodeURIComponent(String(v));
const S = '/api/agent/sessions';

// --- login ---------------------------------------------------------------------------------
export async function login(email, password) {
  const res = await request('POST', '/api/auth/login', { body: { email, password } });
  dropStoredToken();
  return res;
}

export async function logout() {
  try {
    await request('POST', '/api/auth/logout');
  } finally {
    dropStoredToken();
  }
}

export function forgetToken() {
  dropStoredToken();
}

export const me = () => request('GET', '/api/me');
export const setStatus = (status) => request('PUT', '/api/me/status', { body: { status } });
export const agents = () => request('GET', '/api/agents');

// --- sessions ------------------------------------------------------------------------------
export const waiting = () => request('GET', `${S}/waiting`);
export const myChats = (agentId) => request('GET', `${S}/my-chats/${id(agentId)}`);
export const allSessions = ({ limit, offset } = {}) => request('GET', `${S}/all`, { query: { limit, offset } });
/** params: {agent_id, status, search, start_date, end_date, limit, offset} */
export const history = (params = {}, signal) => request('GET', `${S}/history`, { query: params, signal });
/** A waiting WhatsApp session for a customer who has not written (nothing is sent). */
export const startSession = (phone) => request('POST', `${S}/start/${id(phone)}`);
export const session = (sessionId) => request('GET', `${S}/${id(sessionId)}`);
export const assign = (sessionId, agentId) =>
  request('POST', `${S}/${id(sessionId)}/assign`, { body: agentId == null ? {} : { agent_id: agentId } });
export const end = (sessionId) => request('POST', `${S}/${id(sessionId)}/end`);
export const messages = (sessionId, { afterId, limit } = {}) =>
  request('GET', `${S}/${id(sessionId)}/messages`, { query: { after_id: afterId, limit } });
/** opts: {replyTo (a message id: quoted), key (Idempotency-Key: a repeat sends once)}. */
export const sendMessage = (sessionId, content, { replyTo, key } = {}) =>
  request('POST', `${S}/${id(sessionId)}/messages`, { body: replyTo ? { content, reply_to: replyTo } : { content }, key });
/** The agent is (not) typing: web chat visitors see it (API.md "Web chat"). */
export const typing = (sessionId, on) => request('POST', `${S}/${id(sessionId)}/typing`, { body: { typing: on } });
export const offlineMessages = (handled) => request('GET', '/api/offline-messages', { query: { handled } });
export const markOfflineHandled = (messageId) => request('POST', `/api/offline-messages/${id(messageId)}/handled`);
export const previousSessions = (sessionId) => request('GET', `${S}/${id(sessionId)}/previous`);
export const readPositions = () => request('GET', '/api/me/read-positions');
export const markRead = (sessionId, messageId) =>
  request('PUT', `${S}/${id(sessionId)}/read-position`, { body: { message_id: messageId } });

// --- teams and routing ---------------------------------------------------------------------
export const decline = (sessionId) => request('POST', `${S}/${id(sessionId)}/decline`);
/** target: {agent_id} or {team_id}; note optional. */
export const transfer = (sessionId, target, note) =>
  request('POST', `${S}/${id(sessionId)}/transfer`, { body: { ...target, ...(note ? { note } : {}) } });
export const setPriority = (sessionId, priority) =>
  request('PUT', `${S}/${id(sessionId)}/priority`, { body: { priority } });
export const teams = () => request('GET', '/api/teams');
export const createTeam = (team) => request('POST', '/api/teams', { body: team });
export const updateTeam = (teamId, team) => request('PUT', `/api/teams/${id(teamId)}`, { body: team });
export const setMember = (teamId, agentId, member) =>
  request(member ? 'PUT' : 'DELETE', `/api/teams/${id(teamId)}/members/${id(agentId)}`);
export const overview = () => request('GET', '/api/overview');
// --- agent tools and reports (issue 12) -----------------------------------------------------
export const addNote = (sessionId, content) =>
  request('POST', `${S}/${id(sessionId)}/notes`, { body: { content } });
export const setLabels = (sessionId, labels) =>
  request('PUT', `${S}/${id(sessionId)}/labels`, { body: { labels } });
export const cannedResponses = () => request('GET', '/api/canned-responses');
export const createCanned = (shortcut, content) =>
  request('POST', '/api/canned-responses', { body: { shortcut, content } });
export const updateCanned = (cannedId, shortcut, content) =>
  request('PUT', `/api/canned-responses/${id(cannedId)}`, { body: { shortcut, content } });
export const deleteCanned = (cannedId) => request('DELETE', `/api/canned-responses/${id(cannedId)}`);
/** params: {from, to, group_by, team_id, agent_id, label} */
export const reportSummary = (params = {}, signal) => request('GET', '/api/reports/summary', { query: params, signal });
/** The CSV download address of the same report. */
export const reportCsvUrl = (params = {}) => apiUrl('/api/reports/summary', { ...params, format: 'csv' });
// --- WhatsApp: templates, reactions, read receipts (API.md "WhatsApp: window, templates...") --
export const templates = () => request('GET', '/api/templates');
export const sendTemplate = (sessionId, name, language, parameters, key) =>
  request('POST', `${S}/${id(sessionId)}/template`, { body: { name, language, parameters }, key });
export const react = (sessionId, messageId, emoji) =>
  request('POST', `${S}/${id(sessionId)}/messages/${id(messageId)}/reaction`, { body: { emoji } });
/** Marks the customer's messages read on WhatsApp (blue ticks). */
export const readOnWhatsApp = (sessionId) => request('POST', `${S}/${id(sessionId)}/read`);
/** A fresh Idempotency-Key. */
export function newKey() {
  return globalThis.crypto?.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
/**
 * Uploads `file` as an attachment (multipart: file, caption) with an Idempotency-Key; XHR for the
 * upload progress. onProgress(fraction 0..1). Resolves to the MESSAGE; rejects with an ApiError
 * (413 too large, 415 type not accepted, 409 window_closed, 0 network).
 */
export function uploadAttachment(sessionId, file, { caption, key, onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append('file', file, file.name || 'file');
    if (caption) form.append('caption', caption);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl(`${S}/${id(sessionId)}/attachments`));
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (key) xhr.setRequestHeader('Idempotency-Key', key);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'Cannot reach handoffd. Check your connection and try again.'));
    xhr.onload = () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const err = new ApiError(xhr.status, data?.error?.code || `http_${xhr.status}`,
        data?.error?.message || xhr.statusText || `Upload failed (HTTP ${xhr.status})`);
      if (xhr.status === 401 && unauthorizedHandler) unauthorizedHandler(err);
      return reject(err);
    };
    xhr.send(form);
  });
}
