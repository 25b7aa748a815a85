// Issue 13 #14: MESSAGE.sent_at is the customer's own time (WhatsApp's `timestamp`): after an
// outage Meta redelivers out of order, and the chat shows each message at the time the customer
// wrote it and orders it by that time, not by when handoffd received it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat, msgSel } from './lib/steps.mjs';

const rui = { from: '351961112233', name: 'Rui Outage' };
const MIN = 60 * 1000;
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('redelivered customer messages show the customer\'s own time and are ordered by it', { timeout: 40000 }, async () => {
  const ana = await person(browser, PEOPLE.ana);
  await loginAt(ana, '/');
  const t0 = Date.now() - 30 * MIN;
  await customer.tapsAgentMode(rui, t0);
  const s = await waitingSessionOf(ana, rui);
  await api(ana, 'POST', `/api/agent/sessions/${s.id}/assign`, {});
  await openChat(ana, 'mine', s.id);

  // The outage is over: Meta redelivers, the later message first.
  const early = t0 + 10 * MIN;
  const late = t0 + 20 * MIN;
  await customer.says(rui, 'second: are you there?', late);
  await customer.says(rui, 'first: my order is late', early);
  const { messages } = await api(ana, 'GET', `/api/agent/sessions/${s.id}/messages`);
  const second = messages.find((m) => m.content === 'second: are you there?');
  const first = messages.find((m) => m.content === 'first: my order is late');
  assert.ok(second.id < first.id, 'the later message arrived first');
  assert.equal(Date.parse(first.sent_at), Math.floor(early / 1000) * 1000);
  assert.equal(Date.parse(second.sent_at), Math.floor(late / 1000) * 1000);

  await until(ana.page, 'both messages shown', ([a, b]) => !!document.querySelector(a) && !!document.querySelector(b),
    [msgSel(first.id), msgSel(second.id)]);
  const order = await ana.page.locator(`.messages ${tid('message')}[data-sender-type="customer"]`).evaluateAll((els) => els.map((e) => Number(e.dataset.messageId)));
  assert.ok(order.indexOf(first.id) < order.indexOf(second.id), `"first" is shown before "second" (${order})`);
  for (const m of [first, second]) {
    const time = ana.page.locator(`${msgSel(m.id)} time`).first();
    assert.equal(await time.getAttribute('datetime'), m.sent_at, 'the time shown is the customer\'s');
    const expected = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'UTC' }).format(Date.parse(m.sent_at));
    assert.equal((await time.textContent()).trim(), expected);
    assert.match(await time.getAttribute('title'), /received/, 'its title also says when handoffd received it');
  }
  // After a reload, the same order.
  await ana.page.reload();
  await ana.page.locator(msgSel(second.id)).waitFor();
  const again = await ana.page.locator(`.messages ${tid('message')}[data-sender-type="customer"]`).evaluateAll((els) => els.map((e) => Number(e.dataset.messageId)));
  assert.ok(again.indexOf(first.id) < again.indexOf(second.id), `after a reload too (${again})`);
  await api(ana, 'POST', `/api/agent/sessions/${s.id}/end`);
  assert.deepEqual(ana.errors, []);
  await ana.context.close();
});
