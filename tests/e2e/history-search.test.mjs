// Issue 13 #9: History search finds message text, a number typed with "+", spaces or dashes,
// and names regardless of accents ("joao" finds "João"), on SQLite and PostgreSQL alike.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, sessionItem, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf } from './lib/steps.mjs';

const joao = { from: '351912345678', name: 'João Quintela' };
let browser;

/** The history request the page makes for `query` (the typed text, trimmed). */
function searched(p, query) {
  const pending = p.page.waitForResponse((r) => {
    const u = new URL(r.url());
    return u.pathname === '/api/agent/sessions/history' && u.searchParams.get('search') === query.trim();
  });
  pending.catch(() => {});
  return pending;
}

before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('history search: message text, a formatted number, a name without its accents', { timeout: 40000 }, async () => {
  const sue = await person(browser, PEOPLE.sue);
  await loginAt(sue, '/');
  await customer.tapsAgentMode(joao);
  const s = await waitingSessionOf(sue, joao);
  await customer.says(joao, 'My parcel 7Q-zebrafinch never arrived');
  await api(sue, 'POST', `/api/agent/sessions/${s.id}/end`);

  await sue.page.locator(tid('tab-history')).click();
  const box = sue.page.locator(tid('history-search'));
  assert.match(await box.getAttribute('placeholder'), /message/i, 'the search box says it searches messages too');
  for (const query of ['zebrafinch', '+351 912-345 678', '+351912345678', '351 91 23 45 678', 'joao', 'JOAO QUINT', 'quintela']) {
    const answered = searched(sue, query);
    await box.fill(query);
    await box.press('Enter');
    const res = await answered;
    assert.equal(res.status(), 200);
    const ids = (await res.json()).sessions.map((x) => x.id);
    assert.ok(ids.includes(s.id), `GET history?search=${query} finds session ${s.id} (got ${ids})`);
    await sue.page.locator(`.history-view ${sessionItem(s.id)}`).waitFor();
  }
  // And a query that matches nothing finds nothing.
  const none = searched(sue, 'no-such-thing-xyzzy');
  await box.fill('no-such-thing-xyzzy');
  await box.press('Enter');
  await none;
  await until(sue.page, 'an empty result', () => document.querySelector('.history-view .list-status')?.textContent === 'No sessions match these filters.');
  assert.deepEqual(sue.errors, []);
  await sue.context.close();
});
