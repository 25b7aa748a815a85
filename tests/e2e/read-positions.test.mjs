// Issue 13 #11 (server part): read positions are stored per agent (PUT .../read-position,
// GET /api/me/read-positions) and `read.updated` reaches that agent's other tabs and devices:
// unread state follows Ana across two browser contexts; Sue's is not touched by Ana's reads.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, sessionItem, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat, nextResponse } from './lib/steps.mjs';

const quinn = { from: '61412345678', name: 'Quinn Unread' };
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const badge = (p, id) => `${sessionItem(id)} ${tid('unread-badge')}`;
const hasBadge = (p, id, yes, what) => until(p.page, what, ([sel, want]) => !!document.querySelector(sel) === want, [badge(p, id), yes]);

test('unread follows the agent across two tabs; a supervisor\'s unread is her own', { timeout: 40000 }, async () => {
  const tab1 = await person(browser, PEOPLE.ana);
  const tab2 = await person(browser, { ...PEOPLE.ana, name: 'Ana (second device)' });
  const sue = await person(browser, PEOPLE.sue);
  await Promise.all([tab1, tab2, sue].map((p) => loginAt(p, '/')));

  // A new waiting customer is unread everywhere.
  await customer.tapsAgentMode(quinn);
  const s = await waitingSessionOf(tab1, quinn);
  for (const p of [tab1, tab2, sue]) await hasBadge(p, s.id, true, `${p.name}: the waiting customer is unread`);

  // Ana reads it in her first tab: the second follows; Sue's stays unread.
  const put = nextResponse(tab1, 'PUT', `/api/agent/sessions/${s.id}/read-position`);
  await openChat(tab1, 'waiting', s.id);
  assert.equal((await put).status(), 204);
  await hasBadge(tab2, s.id, false, 'the second tab is read too');
  const { positions } = await api(tab2, 'GET', '/api/me/read-positions');
  assert.ok(positions[String(s.id)] > 0, `Ana's read position is stored (${JSON.stringify(positions)})`);
  assert.equal((await api(sue, 'GET', '/api/me/read-positions')).positions[String(s.id)], undefined);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await sue.page.locator(badge(sue, s.id)).count(), 1, "Sue's unread is untouched by Ana's read");

  // Ana accepts in the first tab and goes back to her list; the customer writes: unread in both
  // tabs; she reads it in the second tab, and the first follows.
  await tab1.page.locator(tid('accept')).click();
  await until(tab1.page, 'the chat is Ana\'s', () => location.hash.startsWith('#/mine/'));
  await tab2.page.locator(tid('tab-mine')).click();
  await tab1.page.evaluate(() => { location.hash = '#/mine'; });
  await customer.says(quinn, 'Hello? Anyone?');
  for (const p of [tab1, tab2]) await hasBadge(p, s.id, true, `${p.name}: the new message is unread`);
  await openChat(tab2, 'mine', s.id);
  await hasBadge(tab1, s.id, false, 'the first tab is read too');
  // Other tests' customers may still be unread (counted from the server at sign-in): the two
  // tabs must agree, with nothing left of this chat in either.
  assert.equal(await tab1.page.title(), await tab2.page.title(), 'both tabs count the same unread');

  // Bug: unread built up only from live events, so a device signing in later showed none. The
  // customer writes while Ana has no page open; a device she opens afterwards shows it unread.
  await tab2.context.close();
  await tab1.context.close();
  await customer.says(quinn, 'Written while Ana was away');
  const later = await person(browser, { ...PEOPLE.ana, name: 'Ana (signed in later)' });
  await loginAt(later, '/');
  await later.page.locator(tid('tab-mine')).click();
  await hasBadge(later, s.id, true, 'the later device shows the message unread');
  const { unread } = await api(later, 'GET', '/api/me/read-positions');
  assert.equal(unread[String(s.id)], 1, `one customer message unread (${JSON.stringify(unread)})`);

  await api(later, 'POST', `/api/agent/sessions/${s.id}/end`);
  assert.deepEqual([...tab1.errors, ...tab2.errors, ...sue.errors, ...later.errors], []);
  for (const p of [sue, later]) await p.context.close();
});
