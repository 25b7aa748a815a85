// Issue 13 #3 (dashboard part): the page makes its agent `away` after a while without input
// (10 minutes; `?idle_ms=` shortens it here) and `online` again on the next input; the
// supervisor's team panel shows the same presence as the API, live.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt, nextResponse } from './lib/steps.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test('idle for the configured time: away, in the API and on the supervisor\'s panel; input: online again', { timeout: 40000 }, async () => {
  const bo = await person(browser, PEOPLE.bo);
  const sue = await person(browser, PEOPLE.sue);
  await loginAt(sue, '/');
  await loginAt(bo, '/?idle_ms=2000');
  const put = nextResponse(bo, 'PUT', '/api/me/status');
  await bo.page.locator(tid('status-select')).selectOption('online');
  assert.equal((await put).status(), 200);
  const row = (status) => until(sue.page, `Sue sees Bo ${status}`, ([id, st]) =>
    document.querySelector(`[data-testid="agent-row"][data-agent-id="${id}"]`)?.dataset.status === st, [bo.me.id, status]);
  await row('online');

  // No input on Bo's page: away after ~2 s.
  await until(bo.page, "Bo's status shows away", () => document.querySelector('[data-testid="status-select"]').value === 'away', undefined, 8000);
  assert.equal((await api(bo, 'GET', '/api/me')).status, 'away');
  await row('away');

  // Any input: online again, everywhere.
  await bo.page.mouse.move(200, 200);
  await bo.page.mouse.move(220, 240);
  await until(bo.page, "Bo's status shows online", () => document.querySelector('[data-testid="status-select"]').value === 'online', undefined, 5000);
  assert.equal((await api(bo, 'GET', '/api/me')).status, 'online');
  await row('online');

  // A status chosen by hand stays: away by hand is not undone by input.
  await bo.page.locator(tid('status-select')).selectOption('away');
  await row('away');
  await bo.page.mouse.move(10, 10);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await api(bo, 'GET', '/api/me')).status, 'away');
  await bo.context.close();
  await sue.context.close();
});
