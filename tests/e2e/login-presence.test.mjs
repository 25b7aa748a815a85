// Issue 13 #3 (server part): logging in makes an agent `online` (agents.online_on_login, on by
// default), and a supervisor's open team panel shows it at once, without a reload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt } from './lib/steps.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('an agent who logs in is online on the supervisor\'s team panel, live', { timeout: 30000 }, async () => {
  const sue = await person(browser, PEOPLE.sue);
  await loginAt(sue, '/');
  // Bo is offline first (a login elsewhere, then offline by hand, then signed out).
  const earlier = await person(browser, PEOPLE.bo);
  await loginAt(earlier, '/');
  await api(earlier, 'PUT', '/api/me/status', { status: 'offline' });
  await api(earlier, 'POST', '/api/auth/logout');
  await earlier.context.close();
  const row = (id, status) => until(sue.page, `Sue sees Bo ${status}`, ([i, st]) =>
    document.querySelector(`[data-testid="agent-row"][data-agent-id="${i}"]`)?.dataset.status === st, [id, status]);
  await row(earlier.me.id, 'offline');

  // Bo signs in through the login page and touches nothing else.
  const bo = await person(browser, PEOPLE.bo);
  const nothingElse = [];
  bo.page.on('request', (r) => { if (r.method() === 'PUT' && new URL(r.url()).pathname === '/api/me/status') nothingElse.push(r.url()); });
  await loginAt(bo, '/');
  assert.equal(bo.me.status, 'online', 'GET /api/me after the login');
  await row(bo.me.id, 'online');
  assert.equal(await bo.page.locator(tid('status-select')).inputValue(), 'online', "Bo's own status control");
  assert.match(await sue.page.locator('.agents-summary').textContent(), /^\d+ online/);
  assert.deepEqual(nothingElse, [], 'the page did not set the status itself');
  assert.deepEqual([...bo.errors, ...sue.errors], []);
  await bo.context.close();
  await sue.context.close();
});
