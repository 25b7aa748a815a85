// Issue 13 #5 and #6: "End chat" asks first, in a dialog that keyboards and screen readers
// handle (focus inside, Tab stays in it, Esc cancels), and an ended chat says who ended it and
// why. A failed delivery reads in plain words per Meta's error class, with Meta's code and
// title as details, and the 24 h window agrees with a "window closed" failure.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer, deliver, statusWebhook } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat, typeAndSend, sentMessage, msgSel } from './lib/steps.mjs';

const gus = { from: '5511987654321', name: 'Gus Prado' };
let browser;
let ana;
let sue;
let sid;

before(async () => {
  browser = await launch();
  [ana, sue] = await Promise.all([PEOPLE.ana, PEOPLE.sue].map((who) => person(browser, who)));
  await Promise.all([ana, sue].map((p) => loginAt(p, '/')));
  await customer.tapsAgentMode(gus);
  sid = (await waitingSessionOf(ana, gus)).id;
  await api(ana, 'POST', `/api/agent/sessions/${sid}/assign`, {});
  await customer.says(gus, 'My parcel is late');
});
after(async () => { await browser?.close(); });

const failText = (p, id) => p.page.locator(`${msgSel(id)} ${tid('failure-text')}`).textContent();

test('a failed delivery is explained per error class; the window agrees with "window closed"', { timeout: 30000 }, async () => {
  await openChat(ana, 'mine', sid);
  await until(ana.page, 'window open', () => document.querySelector('[data-testid="window-status"]')?.dataset.open === 'true');
  const throttled = await typeAndSend(ana, sid, 'One moment please.');
  const t = await sentMessage(ana, sid, throttled.id);
  await deliver(statusWebhook({ id: t.channel_message_id, status: 'failed', recipient: gus.from, error: { code: 130429, title: 'Rate limit hit' } }));
  await until(ana.page, 'throttled shown', ([id]) => document.querySelector(`[data-message-id="${id}"] .msg-failure`), [throttled.id]);
  assert.match(await failText(ana, throttled.id), /retrying/);
  assert.equal(await ana.page.locator(tid('window-status')).getAttribute('data-open'), 'true', 'throttling does not close the window');

  const late = await typeAndSend(ana, sid, 'Are you still there?');
  const l = await sentMessage(ana, sid, late.id);
  await deliver(statusWebhook({ id: l.channel_message_id, status: 'failed', recipient: gus.from, error: { code: 131047, title: 'Re-engagement message' } }));
  await until(ana.page, 'window failure shown', ([id]) => document.querySelector(`[data-message-id="${id}"] .msg-failure`), [late.id]);
  assert.equal(await failText(ana, late.id), 'Not delivered: The customer has not written for 24 hours; send a template.');
  const details = await ana.page.locator(`${msgSel(late.id)} .failure-reason`).textContent();
  assert.match(details, /Re-engagement message/);
  assert.match(details, /131047/);
  await until(ana.page, 'the panel shows the window closed', () => document.querySelector('[data-testid="window-status"]').dataset.open === 'false');
  assert.match(await ana.page.locator(tid('window-status')).textContent(), /Closed/);
  // The customer writes again: open again.
  await customer.says(gus, 'Yes I am here');
  await until(ana.page, 'window open again', () => document.querySelector('[data-testid="window-status"]').dataset.open === 'true');
});

test('"End chat" asks in a dialog (focus inside, Esc cancels); the ended chat says who ended it', { timeout: 30000 }, async () => {
  await openChat(sue, 'all', sid);
  const end = ana.page.locator(tid('end-chat'));
  await end.click();
  const dialog = ana.page.locator(tid('confirm-dialog'));
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute('aria-labelledby') !== null, true);
  assert.equal(await ana.page.evaluate(() => document.activeElement?.dataset.testid), 'confirm-cancel', 'focus on the safe choice');
  for (let i = 0; i < 3; i++) {
    await ana.page.keyboard.press('Tab');
    assert.equal(await ana.page.evaluate(() => !!document.activeElement?.closest('dialog')), true, 'Tab stays in the dialog');
  }
  await ana.page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await api(ana, 'GET', `/api/agent/sessions/${sid}`)).status, 'active', 'Esc did not end the chat');

  await end.click();
  await ana.page.locator(tid('confirm-ok')).click();
  for (const p of [ana, sue]) {
    const notice = p.page.locator(tid('ended-notice'));
    await notice.waitFor();
    assert.equal((await notice.textContent()).trim(), `${PEOPLE.ana.name} ended this chat.`);
  }
  assert.equal((await api(ana, 'GET', `/api/agent/sessions/${sid}`)).end_reason, 'agent');
  for (const p of [ana, sue]) assert.deepEqual(p.errors, []);
});
