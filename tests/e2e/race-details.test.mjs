// Issue 6 item 9 / issue 13: a lost Accept race names the winner from the 409's structured
// field `error.details.agent_name` (the message text is only the fallback). The 409 is played
// by intercepting the page's assign request, so the winner's name comes from nowhere else.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat } from './lib/steps.mjs';

const jo = { from: '447700900123', name: 'Jo Race' };
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a lost Accept names the winner from error.details.agent_name', { timeout: 30000 }, async () => {
  const [ana, sue] = await Promise.all([PEOPLE.ana, PEOPLE.sue].map((who) => person(browser, who)));
  await Promise.all([ana, sue].map((p) => loginAt(p, '/')));
  await customer.tapsAgentMode(jo);
  const s = await waitingSessionOf(ana, jo);
  await openChat(ana, 'waiting', s.id);
  await ana.page.route(`**/api/agent/sessions/${s.id}/assign`, (route) => route.fulfill({
    status: 409,
    contentType: 'application/json',
    body: JSON.stringify({ error: { code: 'conflict', message: `session ${s.id} was taken by another agent`, details: { agent_id: 4242, agent_name: 'Zoe Winner' } } }),
  }));
  await ana.page.locator(tid('accept')).click();
  const notice = ana.page.locator(tid('taken-notice'));
  await notice.waitFor();
  assert.equal((await notice.textContent()).trim(), 'This chat was taken by Zoe Winner.');
  await api(sue, 'POST', `/api/agent/sessions/${s.id}/end`);
  assert.deepEqual([...ana.errors, ...sue.errors], []);
});
