// Issue 13 #10: a returning customer's earlier sessions (GET .../sessions/{id}/previous) are
// listed in the customer panel of whoever handles the new one, read-only, and their messages
// open in place (here: Bo reads the chat Ana had with the customer before).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat } from './lib/steps.mjs';

const pia = { from: '46701234567', name: 'Pia Returning' };
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a returning customer: Bo sees the chat Ana had before, read-only, with its messages', { timeout: 40000 }, async () => {
  const [ana, bo] = await Promise.all([PEOPLE.ana, PEOPLE.bo].map((who) => person(browser, who)));
  await Promise.all([ana, bo].map((p) => loginAt(p, '/')));

  // The first conversation: Ana helps, and ends it.
  await customer.tapsAgentMode(pia);
  const first = await waitingSessionOf(ana, pia);
  await api(ana, 'POST', `/api/agent/sessions/${first.id}/assign`, {});
  await customer.says(pia, 'My blender is broken');
  await api(ana, 'POST', `/api/agent/sessions/${first.id}/messages`, { content: 'Please send us a photo of the label' });
  await api(ana, 'POST', `/api/agent/sessions/${first.id}/end`);

  // She comes back; Bo takes her.
  await customer.tapsAgentMode(pia);
  const second = await waitingSessionOf(bo, pia);
  assert.notEqual(second.id, first.id);
  const { sessions } = await api(bo, 'GET', `/api/agent/sessions/${second.id}/previous`);
  assert.deepEqual(sessions.map((s) => s.id), [first.id]);
  await openChat(bo, 'waiting', second.id);
  await bo.page.locator(tid('accept')).click();
  await until(bo.page, 'the chat is Bo\'s', () => location.hash.startsWith('#/mine/'));

  const panel = bo.page.locator(tid('previous-conversations'));
  await panel.waitFor();
  const item = panel.locator(`${tid('previous-item')}[data-session-id="${first.id}"]`);
  const summary = (await item.locator('summary').textContent()).replace(/\s+/g, ' ');
  assert.match(summary, /Ana Agent/, 'the earlier chat names its agent');
  assert.match(summary, /Ended/, 'and says it ended');
  await item.locator('summary').click();
  const log = item.locator('.previous-log');
  await log.waitFor();
  const lines = (await log.locator('li').allTextContents()).map((t) => t.replace(/\s+/g, ' ').trim());
  assert.ok(lines.includes('Customer: My blender is broken'), `the customer's message (${JSON.stringify(lines)})`);
  assert.ok(lines.includes('Ana Agent: Please send us a photo of the label'), `Ana's reply under her name (${JSON.stringify(lines)})`);
  // Read-only: nothing to type or press inside it, and the open chat is still the new one.
  assert.equal(await item.locator('textarea, input, button').count(), 0);
  assert.ok((await bo.page.evaluate(() => location.hash)).endsWith(`/${second.id}`));
  assert.equal(await bo.page.locator(tid('composer')).isEnabled(), true);

  await api(bo, 'POST', `/api/agent/sessions/${second.id}/end`);
  assert.deepEqual([...ana.errors, ...bo.errors], []);
  await ana.context.close();
  await bo.context.close();
});
