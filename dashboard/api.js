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

async function request(method, path, { query, body, signal } = {}) {
  const headers = { Accept: 'application/json' };
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
export const session = (sessionId) => request('GET', `${S}/${id(sessionId)}`);
export const assign = (sessionId, agentId) =>
  request('POST', `${S}/${id(sessionId)}/assign`, { body: agentId == null ? {} : { agent_id: agentId } });
export const end = (sessionId) => request('POST', `${S}/${id(sessionId)}/end`);
export const messages = (sessionId, { afterId, limit } = {}) =>
  request('GET', `${S}/${id(sessionId)}/messages`, { query: { after_id: afterId, limit } });
export const sendMessage = (sessionId, content) =>
  request('POST', `${S}/${id(sessionId)}/messages`, { body: { content } });
export const previousSessions = (sessionId) => request('GET', `${S}/${id(sessionId)}/previous`);
export const readPositions = () => request('GET', '/api/me/read-positions');
export const markRead = (sessionId, messageId) =>
  request('PUT', `${S}/${id(sessionId)}/read-position`, { body: { message_id: messageId } });

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
