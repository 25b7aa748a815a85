// Issue 13 #11 (dashboard part): desktop notifications are asked for on a click (a user
// gesture), then a new waiting customer and a customer message in a chat not in view notify.
// The browser's Notification is replaced by a recorder (headless Chromium shows none).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf } from './lib/steps.mjs';

const ivan = { from: '79161234567', name: 'Ivan Notify' };
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('notifications: permission on a click; a new waiting customer and a message elsewhere notify', { timeout: 30000 }, async () => {
  const bo = await person(browser, PEOPLE.bo);
  await bo.context.addInitScript(() => {
    window.__notes = [];
    class FakeNotification {
      constructor(title, options) { window.__notes.push({ title, body: options?.body || '' }); }
      close() {}
    }
    FakeNotification.permission = 'default';
    FakeNotification.requestPermission = async () => {
      window.__asked = (window.__asked || 0) + 1;
      FakeNotification.permission = 'granted';
      return 'granted';
    };
    window.Notification = FakeNotification;
  });
  await loginAt(bo, '/');
  assert.equal(await bo.page.evaluate(() => window.__asked || 0), 0, 'not asked without a gesture');
  const enable = bo.page.locator(tid('notify-enable'));
  await enable.click();
  await enable.waitFor({ state: 'hidden' });
  assert.equal(await bo.page.evaluate(() => window.__asked), 1);

  await customer.tapsAgentMode(ivan);
  await until(bo.page, 'a notification for the waiting customer', ([name]) =>
    window.__notes.some((n) => n.title === 'A customer is waiting' && n.body.includes(name)), [ivan.name]);
  const s = await waitingSessionOf(bo, ivan);
  await api(bo, 'POST', `/api/agent/sessions/${s.id}/assign`, {});
  await customer.says(ivan, 'Are you there?');
  await until(bo.page, 'a notification for the message', ([name]) =>
    window.__notes.some((n) => n.title === `${name} wrote` && n.body === 'Are you there?'), [ivan.name]);
  await api(bo, 'POST', `/api/agent/sessions/${s.id}/end`);
  assert.deepEqual(bo.errors, []);
  await bo.context.close();
});
