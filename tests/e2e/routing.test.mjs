// Teams and routing in the dashboard (issue 10): transfer to another agent and to a team, with a
// note; decline back to the queue; team chips and the queue filter; the supervisor's overview
// panel updating live. The second team is made with `handoffd team add`, as an operator would.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PEOPLE, customer, env } from './lib/handoffd.mjs';
import { launch, person, api, tid, sessionItem, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat, nextResponse } from './lib/steps.mjs';

const lou = { from: '447700900201', name: 'Lou Route' };
const max = { from: '447700900202', name: 'Max Route' };
const ned = { from: '447700900203', name: 'Ned Route' };
let browser;
let desk; // the second team
before(async () => {
  browser = await launch();
  const id = execFileSync(env.binary, ['team', 'add', '--config', env.config, '--name', 'Billing Desk',
    '--slug', 'billing-desk', '--trigger-id', 'AGENT_MODE_BILLING_DESK'], { encoding: 'utf8' }).trim();
  desk = Number(id);
});
after(async () => { await browser?.close(); });

async function pick(p, value) {
  const select = p.page.locator(tid('transfer-target'));
  await until(p.page, `transfer option ${value}`, ([v]) =>
    [...document.querySelectorAll('[data-testid="transfer-target"] option')].some((o) => o.value === v), [value]);
  await select.selectOption(value);
}

test('transfer to a colleague and to a team, with a note; decline puts it back', { timeout: 60000 }, async () => {
  const [ana, bo, sue] = await Promise.all([PEOPLE.ana, PEOPLE.bo, PEOPLE.sue].map((who) => person(browser, who)));
  await Promise.all([ana, bo, sue].map((p) => loginAt(p, '/')));
  await api(sue, 'PUT', `/api/teams/${desk}/members/${ana.me.id}`);

  await customer.tapsAgentMode(lou);
  const s = await waitingSessionOf(ana, lou);
  assert.equal(s.team_name, 'General');
  const row = ana.page.locator(`${sessionItem(s.id)} ${tid('session-team')}`);
  await row.waitFor();
  assert.equal((await row.textContent()).trim(), 'General');
  await api(ana, 'POST', `/api/agent/sessions/${s.id}/assign`, {});

  // Ana -> Bo, with a note Bo reads in the chat.
  await openChat(ana, 'mine', s.id);
  await pick(ana, `agent:${bo.me.id}`);
  await ana.page.locator(tid('transfer-note')).fill('asked about a refund');
  const toBo = nextResponse(ana, 'POST', `/api/agent/sessions/${s.id}/transfer`);
  await ana.page.locator(tid('transfer-button')).click();
  assert.equal((await toBo).status(), 200);
  const mine = await api(bo, 'GET', `/api/agent/sessions/my-chats/${bo.me.id}`);
  assert.ok(mine.sessions.some((x) => x.id === s.id), 'Bo holds the chat');
  await bo.page.locator(tid('tab-mine')).click();
  await bo.page.locator(sessionItem(s.id)).waitFor(); // in Bo's chats without a reload
  await openChat(bo, 'mine', s.id);
  await until(bo.page, 'the transfer note', () =>
    [...document.querySelectorAll('[data-testid="message"]')].some((m) => m.textContent.includes('asked about a refund')));

  // Bo -> the Billing Desk queue: waiting there, the customer told.
  await pick(bo, `team:${desk}`);
  const toDesk = nextResponse(bo, 'POST', `/api/agent/sessions/${s.id}/transfer`);
  await bo.page.locator(tid('transfer-button')).click();
  const moved = await (await toDesk).json();
  assert.equal(moved.status, 'waiting');
  assert.equal(moved.team_name, 'Billing Desk');
  const messages = await api(sue, 'GET', `/api/agent/sessions/${s.id}/messages`);
  assert.ok(messages.messages.some((m) => m.content === 'Transferring you to Billing Desk...'));

  // Ana (a member) sees it in her queue, filters by team, accepts and declines it.
  await ana.page.locator(tid('tab-waiting')).click();
  await until(ana.page, 'the team filter lists Billing Desk', ([id]) =>
    [...document.querySelectorAll('[data-testid="queue-team-filter"] option')].some((o) => o.value === String(id)), [desk]);
  await ana.page.locator(tid('queue-team-filter')).selectOption(String(desk));
  await openChat(ana, 'waiting', s.id);
  const accepted = nextResponse(ana, 'POST', `/api/agent/sessions/${s.id}/assign`);
  await ana.page.locator(tid('accept')).click();
  assert.equal((await accepted).status(), 200);
  await ana.page.locator(tid('decline')).waitFor();
  const declined = nextResponse(ana, 'POST', `/api/agent/sessions/${s.id}/decline`);
  await ana.page.locator(tid('decline')).click();
  const back = await (await declined).json();
  assert.equal(back.status, 'waiting');
  assert.equal(back.queue_position, 1);
  await api(sue, 'POST', `/api/agent/sessions/${s.id}/end`);
  assert.deepEqual([...ana.errors, ...bo.errors, ...sue.errors], []);
  await Promise.all([ana, bo, sue].map((p) => p.context.close()));
});

test('the supervisor\'s overview panel follows the queues live', { timeout: 40000 }, async () => {
  const sue = await person(browser, PEOPLE.sue);
  await loginAt(sue, '/');
  const panel = sue.page.locator(tid('overview-panel'));
  await panel.waitFor();
  const general = sue.page.locator(`${tid('overview-team')}[data-team-id="1"] ${tid('overview-waiting')}`);
  await general.waitFor();
  const before = Number((await general.textContent()).trim());
  await customer.tapsAgentMode(max);
  await customer.tapsAgentMode(ned);
  await until(sue.page, 'the overview counts the two new customers', ([n]) => {
    const el = document.querySelector('[data-testid="overview-team"][data-team-id="1"] [data-testid="overview-waiting"]');
    return el && Number(el.textContent) === n;
  }, [before + 2]);
  const desks = sue.page.locator(`${tid('overview-team')}[data-team-id="${desk}"]`);
  await desks.waitFor();
  for (const c of [max, ned]) {
    const s = await waitingSessionOf(sue, c);
    await api(sue, 'POST', `/api/agent/sessions/${s.id}/end`);
  }
  await until(sue.page, 'the overview drops them again', ([n]) => {
    const el = document.querySelector('[data-testid="overview-team"][data-team-id="1"] [data-testid="overview-waiting"]');
    return el && Number(el.textContent) === n;
  }, [before]);
  assert.deepEqual(sue.errors, []);
  await sue.context.close();
});
