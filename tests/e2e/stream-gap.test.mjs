// Issue 13 #0: the lists and the event stream share one cursor. The stream opens first and the
// lists load once it is open, so a customer who asks for a human between the two is seen at
// once (not at the 60-second recheck). The gap is made deterministic by holding the page's
// event stream request until the customer has been created.

import { test, before, after } from 'node:test';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, tid } from './lib/browser.mjs';
import { loginAt } from './lib/steps.mjs';

const eve = { from: '34600999001', name: 'Eve Gap' };
let browser;

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('a customer who arrives between the page\'s list load and its stream is shown without waiting', { timeout: 30000 }, async () => {
  const ana = await person(browser, PEOPLE.ana);
  let release;
  const gate = new Promise((r) => { release = r; });
  await ana.page.route('**/api/events*', async (route) => {
    await gate;
    await route.continue();
  });
  // Whatever the page reads before its stream is open, it reads now, before the customer exists.
  const early = ana.page.waitForRequest((r) => new URL(r.url()).pathname === '/api/agent/sessions/waiting', { timeout: 1500 })
    .then(() => true, () => false);
  await loginAt(ana, '/');
  await early;
  await customer.tapsAgentMode(eve);
  release();
  await ana.page.locator(`${tid('session-item')}:has-text("${eve.name}")`).waitFor({ timeout: 5000 });
  await ana.context.close();
});
