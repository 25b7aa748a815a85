// Helpers shared by the browser tests beyond the main story (dashboard.test.mjs): responses
// awaited around an action, chats opened and found, people signed in on a given URL.

import assert from 'node:assert/strict';
import { env } from './handoffd.mjs';
import { api, tid, until } from './browser.mjs';

/** The next response of `method` `urlPath` in p's page; a timeout is left to whoever awaits it. */
export function nextResponse(p, method, urlPath) {
  const pending = p.page.waitForResponse((r) => r.request().method() === method && new URL(r.url()).pathname === urlPath);
  pending.catch(() => {});
  return pending;
}

/** Signs in through the login page at `path` (e.g. "/?idle_ms=1500"). */
export async function loginAt(p, path = '/') {
  const { page } = p;
  await page.goto(`${env.url}${path}`);
  await page.locator(tid('login-email')).fill(p.email);
  await page.locator(tid('login-password')).fill(p.password);
  await page.locator(tid('login-submit')).click();
  await page.locator(tid('logout')).waitFor();
  p.me = await api(p, 'GET', '/api/me');
}

/** The waiting session of customer `c` (by phone number), as `p` reads it. */
export async function waitingSessionOf(p, c) {
  for (let i = 0; i < 50; i++) {
    const { sessions } = await api(p, 'GET', '/api/agent/sessions/waiting');
    const s = sessions.find((x) => x.phone_number === c.from);
    if (s) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no waiting session for ${c.from}`);
}

/** Opens chat `id` through the URL (any tab that can hold it). */
export async function openChat(p, tab, id) {
  await p.page.evaluate(([t, i]) => { location.hash = `#/${t}/${i}`; }, [tab, id]);
  await until(p.page, `chat ${id} open`, ([i]) => location.hash.endsWith(`/${i}`) &&
    !document.querySelector('.chat').hidden, [id]);
}

/** Types into the composer and presses Enter; resolves to the stored MESSAGE (201). */
export async function typeAndSend(p, sessionId, text) {
  const sent = nextResponse(p, 'POST', `/api/agent/sessions/${sessionId}/messages`);
  const composer = p.page.locator(tid('composer'));
  await composer.click();
  await composer.fill(text);
  await composer.press('Enter');
  const res = await sent;
  assert.equal(res.status(), 201, `POST messages answered ${res.status()}`);
  return res.json();
}

/** The stored MESSAGE `id` of session `sessionId`, once it has a channel_message_id (sent). */
export async function sentMessage(p, sessionId, id) {
  for (let i = 0; i < 50; i++) {
    const { messages } = await api(p, 'GET', `/api/agent/sessions/${sessionId}/messages`);
    const m = messages.find((x) => x.id === id);
    if (m?.channel_message_id) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`message ${id} was not sent`);
}

export const msgSel = (id) => `${tid('message')}[data-message-id="${id}"]`;
