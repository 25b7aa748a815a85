// Issue 12 in the browser: an agent writes an internal note (its own style, never sent), inserts
// a canned response by keyboard ("/", arrows, Enter; placeholders filled), labels the chat; the
// supervisor filters History by that label and opens Reports: the day's numbers, the uPlot
// charts and the CSV download.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat, nextResponse } from './lib/steps.mjs';

const rita = { from: '34612345678', name: 'Rita Lopes' };
let browser;
let ana;
let sue;
let sid;

before(async () => {
  browser = await launch();
  [ana, sue] = await Promise.all([PEOPLE.ana, PEOPLE.sue].map((who) => person(browser, who)));
  await Promise.all([ana, sue].map((p) => loginAt(p, '/')));
  const existing = (await api(sue, 'GET', '/api/canned-responses')).canned_responses;
  for (const c of existing) await api(sue, 'DELETE', `/api/canned-responses/${c.id}`);
  await api(sue, 'POST', '/api/canned-responses', { shortcut: 'thanks', content: 'Thank you {customer_name}, this is {agent_name}.' });
  await api(sue, 'POST', '/api/canned-responses', { shortcut: 'thanks-later', content: 'Talk to you later!' });
  await customer.tapsAgentMode(rita);
  sid = (await waitingSessionOf(ana, rita)).id;
  await api(ana, 'POST', `/api/agent/sessions/${sid}/assign`, {});
  await customer.says(rita, 'Where is my refund?');
});
after(async () => { await browser?.close(); });

test('a note is stored, shown as a note and never sent', { timeout: 30000 }, async () => {
  await openChat(ana, 'mine', sid);
  const page = ana.page;
  await page.locator(tid('note-toggle')).click();
  assert.equal(await page.locator(tid('note-toggle')).getAttribute('aria-pressed'), 'true');
  const saved = nextResponse(ana, 'POST', `/api/agent/sessions/${sid}/notes`);
  await page.locator(tid('composer')).fill('Refund approved by finance');
  await page.locator(tid('composer')).press('Enter');
  const res = await saved;
  assert.equal(res.status(), 201);
  const note = await res.json();
  assert.equal(note.type, 'note');
  assert.equal(note.direction, 'internal');
  await until(page, 'note shown', ([id]) => document.querySelector(`[data-message-id="${id}"].msg--note [data-testid="note"]`), [note.id]);
  await page.locator(tid('note-toggle')).click();
  const { messages } = await api(ana, 'GET', `/api/agent/sessions/${sid}/messages`);
  assert.equal(messages.filter((m) => m.content === 'Refund approved by finance' && m.direction !== 'internal').length, 0);
});

test('a canned response by keyboard: "/", arrows, Enter; placeholders filled', { timeout: 30000 }, async () => {
  const page = ana.page;
  const composer = page.locator(tid('composer'));
  await composer.click();
  await composer.fill('');
  await composer.pressSequentially('/tha');
  await page.locator(tid('canned-picker')).waitFor();
  assert.equal(await page.locator(tid('canned-item')).count(), 2);
  await composer.press('ArrowDown');
  await composer.press('ArrowUp');
  assert.equal(await page.locator(`${tid('canned-item')}[aria-selected="true"]`).textContent(), '/thanks Thank you {customer_name}, this is {agent_name}.');
  await composer.press('Enter');
  assert.equal(await composer.inputValue(), 'Thank you Rita Lopes, this is Ana Agent.');
  assert.equal(await page.locator(tid('canned-picker')).isHidden(), true);
  // Esc closes the list and keeps the text.
  await composer.fill('');
  await composer.pressSequentially('/th');
  await page.locator(tid('canned-picker')).waitFor();
  await composer.press('Escape');
  assert.equal(await page.locator(tid('canned-picker')).isHidden(), true);
  assert.equal(await composer.inputValue(), '/th');
  await composer.fill('');
  await composer.pressSequentially('/thanks');
  await until(page, 'picker for /thanks', () => document.querySelectorAll('[data-testid="canned-item"]').length === 2);
  await composer.press('Enter');
  const sent = nextResponse(ana, 'POST', `/api/agent/sessions/${sid}/messages`);
  await composer.press('Enter');
  const res = await sent;
  assert.equal(res.status(), 201);
  assert.equal((await res.json()).content, 'Thank you Rita Lopes, this is Ana Agent.');
});

test('a label from the chat view; History filters by it', { timeout: 30000 }, async () => {
  const page = ana.page;
  const saved = nextResponse(ana, 'PUT', `/api/agent/sessions/${sid}/labels`);
  await page.locator(tid('label-input')).fill('Refund');
  await page.locator(tid('label-input')).press('Enter');
  assert.equal((await saved).status(), 200);
  await until(page, 'label chip', () => [...document.querySelectorAll('[data-testid="label-chip"]')].some((c) => c.dataset.label === 'refund'));
  assert.deepEqual((await api(ana, 'GET', `/api/agent/sessions/${sid}`)).labels, ['refund']);

  await sue.page.evaluate(() => { location.hash = '#/history'; });
  await sue.page.locator(tid('history-label')).fill('refund');
  await sue.page.locator(tid('history-label')).press('Enter');
  await until(sue.page, 'history filtered by label', ([id]) => {
    const items = [...document.querySelectorAll('.history-view [data-testid="session-item"]')];
    return items.length === 1 && items[0].dataset.sessionId === String(id);
  }, [sid]);
});

test('Reports: the day, the charts and the CSV', { timeout: 30000 }, async () => {
  await api(ana, 'POST', `/api/agent/sessions/${sid}/end`);
  const page = sue.page;
  await page.evaluate(() => { location.hash = '#/reports'; });
  await page.locator(tid('report-table')).waitFor();
  await until(page, 'report loaded', () => document.querySelector('.reports-pane')?.dataset.loaded === 'true');
  const today = new Date().toISOString().slice(0, 10);
  await until(page, 'today in the table', ([d]) => [...document.querySelectorAll('[data-testid="report-row"] th')].some((th) => th.textContent === d), [today]);
  assert.ok(Number(await page.locator(`${tid('tile-sessions')} .report-tile-value`).textContent()) >= 1);
  await until(page, 'four charts drawn', () => document.querySelectorAll('.report-chart .uplot canvas').length >= 4);
  const href = await page.locator(tid('report-csv')).getAttribute('href');
  assert.match(href, /format=csv/);
  const csv = await page.evaluate(async (url) => (await fetch(url, { credentials: 'same-origin' })).text(), href);
  const [header, ...rows] = csv.trim().split(/\r?\n/);
  assert.equal(header, 'key,sessions,assigned,missed,median_wait_seconds,p90_wait_seconds,median_first_response_seconds,median_handle_seconds,csat_average,csat_count');
  assert.ok(rows.some((r) => r.startsWith(`${today},`)), csv);
  // Grouped by agent: Ana's row.
  await page.locator(tid('report-group-by')).selectOption('agent');
  await until(page, 'agent rows', ([name]) => [...document.querySelectorAll('[data-testid="report-row"] th')].some((th) => th.textContent === name), [PEOPLE.ana.name]);
  for (const p of [ana, sue]) assert.deepEqual(p.errors, []);
});
