// Issue 13 #2: a customer message moves the session's expiry, its 24-hour window and its "last
// activity"; the server says so with `session.extended`, and open dashboards follow without a
// reload (the owning agent's and a supervisor's: countdown, window, list row).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, sessionItem, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat } from './lib/steps.mjs';

const lena = { from: '4917612345001', name: 'Lena Timers' };
const HOUR = 3600 * 1000;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const hoursLeft = async (p) => {
  const text = await p.page.locator(tid('expiry-countdown')).textContent();
  const m = /^(\d+)h /.exec(text);
  assert.ok(m, `countdown "${text}" shows hours`);
  return Number(m[1]);
};

test('session.extended: the expiry countdown, the 24 h window and the list\'s last activity move live', { timeout: 40000 }, async () => {
  const [ana, sue] = await Promise.all([PEOPLE.ana, PEOPLE.sue].map((who) => person(browser, who)));
  await Promise.all([ana, sue].map((p) => loginAt(p, '/')));
  // The customer asked for a human 3 hours ago (its WhatsApp timestamp): 19 h of the 22 h TTL
  // and 21 h of the window are left.
  await customer.tapsAgentMode(lena, Date.now() - 3 * HOUR);
  const s = await waitingSessionOf(ana, lena);
  await api(ana, 'POST', `/api/agent/sessions/${s.id}/assign`, {});
  await openChat(ana, 'mine', s.id);
  await sue.page.locator(tid('tab-all')).click();
  await openChat(sue, 'all', s.id);
  for (const p of [ana, sue]) {
    await until(p.page, `${p.name}: the countdown shows the old expiry`, () =>
      /^1[89]h /.test(document.querySelector('[data-testid="expiry-countdown"]')?.textContent || ''));
    assert.match(await p.page.locator(tid('window-status')).textContent(), /^Open · (20|21)h \d\dm left$/);
  }
  const row = ana.page.locator(`${sessionItem(s.id)} time.session-when`);
  const before = await row.getAttribute('datetime');

  // The customer writes (its own time: 5 minutes from now, so the minute surely changes).
  const at = Date.now() + 5 * 60 * 1000;
  await customer.says(lena, 'Any news on my order?', at);
  const moved = await api(ana, 'GET', `/api/agent/sessions/${s.id}`);
  assert.equal(Date.parse(moved.last_customer_message_at), Math.floor(at / 1000) * 1000);
  for (const p of [ana, sue]) {
    await until(p.page, `${p.name}: the countdown shows the moved expiry`, () =>
      /^22h /.test(document.querySelector('[data-testid="expiry-countdown"]')?.textContent || ''));
    assert.equal(await hoursLeft(p), 22);
    await until(p.page, `${p.name}: the window shows a day left`, () =>
      /^Open · 1d 0h left$/.test(document.querySelector('[data-testid="window-status"]')?.textContent || ''));
  }
  for (const p of [ana, sue]) {
    await until(p.page, `${p.name}: the list row's last activity is the customer's message`, ([id, iso]) =>
      document.querySelector(`[data-testid="session-item"][data-session-id="${id}"] time.session-when`)?.getAttribute('datetime') === iso,
    [s.id, moved.last_customer_message_at]);
  }
  assert.notEqual(before, moved.last_customer_message_at);
  await api(sue, 'POST', `/api/agent/sessions/${s.id}/end`);
  assert.deepEqual([...ana.errors, ...sue.errors], []);
  await ana.context.close();
  await sue.context.close();
});
