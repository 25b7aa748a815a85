// Issue 6 item 9 / issue 13: a lost Accept race names the winner from the 409's structured
// field `error.details.agent_name` (the message text is only the fallback). First the 409 is
// played by intercepting the page's assign request, so the winner's name comes from nowhere
// else; then the real server's 409 is met with the page's event stream held back, so the
// feed cannot name the winner first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat, nextResponse } from './lib/steps.mjs';

const jo = { from: '447700900123', name: 'Jo Race' };
const kim = { from: '447700900124', name: 'Kim Race' };
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

test('the server\'s own 409 for a lost Accept names the winner (error.details), the feed held back', { timeout: 30000 }, async () => {
  const [ana, bo] = await Promise.all([PEOPLE.ana, PEOPLE.bo].map((who) => person(browser, who)));
  await loginAt(bo, '/');
  await customer.tapsAgentMode(kim);
  const s = await waitingSessionOf(bo, kim);
  // Ana's page never gets its event stream: only the 409 can tell it who won.
  await ana.page.route('**/api/events*', () => {});
  await loginAt(ana, '/');
  await openChat(ana, 'waiting', s.id);
  const accept = ana.page.locator(tid('accept'));
  await accept.waitFor();
  // Bo wins, through the API, before Ana clicks.
  await api(bo, 'POST', `/api/agent/sessions/${s.id}/assign`, {});
  const answered = nextResponse(ana, 'POST', `/api/agent/sessions/${s.id}/assign`);
  await accept.click();
  const res = await answered;
  assert.equal(res.status(), 409);
  const body = await res.json();
  assert.equal(body.error.code, 'conflict');
  assert.deepEqual(body.error.details, { agent_id: bo.me.id, agent_name: 'Bo Agent' });
  const notice = ana.page.locator(tid('taken-notice'));
  await notice.waitFor();
  assert.equal((await notice.textContent()).trim(), 'This chat was taken by Bo Agent.');
  await api(bo, 'POST', `/api/agent/sessions/${s.id}/end`);
  assert.deepEqual([...ana.errors, ...bo.errors], []);
  await ana.context.close();
  await bo.context.close();
});
