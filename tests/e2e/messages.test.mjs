// Issue 13 #1, #4, #7, #8, #13: a chat as its readers see it. Each agent message carries its
// real author (live, after a reload, after a reassignment, a supervisor's too); a supervisor
// writing into someone else's chat is told it goes to the customer and asked once; the bot's
// menu and the customer's tap read as what the customer saw; quotes and reactions sit on their
// messages; WhatsApp formatting renders (safely); the log names who speaks for screen readers.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, person, api, tid, until } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat, typeAndSend, sentMessage, msgSel, nextResponse } from './lib/steps.mjs';

const fatima = { from: '212600123456', name: 'Fatima Zahra' };
let browser;
let ana;
let bo;
let sue;
let sid;
let anaMsg;
let sueMsg;
let broken = null;

function step(name, fn) {
  test(name, { timeout: 30000 }, async (t) => {
    if (broken) return t.skip(`"${broken}" failed`);
    try {
      await fn(t);
    } catch (err) {
      broken = name;
      throw err;
    }
  });
}

const author = (p, id) => p.page.locator(msgSel(id)).getAttribute('data-author');
const visibleAuthor = (p, id) => p.page.locator(`${msgSel(id)} [data-testid="msg-author"]`).textContent();

before(async () => {
  browser = await launch();
  [ana, bo, sue] = await Promise.all([PEOPLE.ana, PEOPLE.bo, PEOPLE.sue].map((who) => person(browser, who)));
  await Promise.all([ana, bo, sue].map((p) => loginAt(p, '/')));
});
after(async () => { await browser?.close(); });

step('bot history: the menu with its buttons, and the button the customer tapped by its title', async () => {
  await customer.says(fatima, 'hello');
  await customer.tapsAgentMode(fatima);
  sid = (await waitingSessionOf(ana, fatima)).id;
  await openChat(ana, 'waiting', sid);
  const menu = ana.page.locator(`${tid('message')}[data-sender-type="bot"] ${tid('menu-buttons')}`);
  await menu.waitFor();
  assert.deepEqual(await menu.locator('li').allTextContents(), ['Talk to Expert']);
  const tap = ana.page.locator(`${tid('message')}[data-sender-type="customer"] ${tid('tapped-button')}`);
  assert.equal((await tap.textContent()).trim(), 'Talk to Expert');
  const log = await ana.page.locator('.messages').textContent();
  assert.doesNotMatch(log, /Button reply|AGENT_MODE|Interactive/);
});

step('the message log says who speaks: customer, agent, bot', async () => {
  const said = await ana.page.locator(`${tid('message')}[data-sender-type="customer"] .visually-hidden`).first().textContent();
  assert.match(said, /Customer/);
  const bot = await ana.page.locator(`${tid('message')}[data-sender-type="bot"] .bubble`).first().textContent();
  assert.match(bot, /^Automated Bot/);
});

step('a supervisor writing into an agent\'s chat is warned and asked once, then writes', async () => {
  await api(ana, 'POST', `/api/agent/sessions/${sid}/assign`, {});
  anaMsg = await api(ana, 'POST', `/api/agent/sessions/${sid}/messages`, { content: 'Hi Fatima, Ana here.' });
  await openChat(sue, 'all', sid);
  await until(sue.page, 'the warning', () => /goes to the customer/.test(document.querySelector('#composer-hint').textContent));
  const composer = sue.page.locator(tid('composer'));
  await composer.fill('Sue from the team lead desk.');
  await composer.press('Enter');
  const dialog = sue.page.locator(tid('confirm-dialog'));
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /goes to the customer on WhatsApp/);
  await sue.page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await composer.inputValue(), 'Sue from the team lead desk.', 'nothing sent, the text is kept');
  const sent = nextResponse(sue, 'POST', `/api/agent/sessions/${sid}/messages`);
  await composer.press('Enter');
  await sue.page.locator(tid('confirm-ok')).click();
  sueMsg = await (await sent).json();
  // Asked once per chat.
  const again = await typeAndSend(sue, sid, 'And a second line.');
  assert.equal(await dialog.count(), 0);
  assert.ok(again.id > sueMsg.id);
});

step('each agent message shows its real author: live, after a reload, after a reassignment', async () => {
  await openChat(ana, 'mine', sid);
  await ana.page.locator(msgSel(sueMsg.id)).waitFor();
  assert.equal(await author(ana, sueMsg.id), PEOPLE.sue.name);
  assert.equal(await visibleAuthor(ana, sueMsg.id), PEOPLE.sue.name);
  assert.equal(await author(ana, anaMsg.id), PEOPLE.ana.name);
  await api(sue, 'POST', `/api/agent/sessions/${sid}/assign`, { agent_id: (await api(bo, 'GET', '/api/me')).id });
  await openChat(bo, 'mine', sid);
  await bo.page.locator(msgSel(anaMsg.id)).waitFor();
  assert.equal(await visibleAuthor(bo, anaMsg.id), PEOPLE.ana.name, "Bo sees Ana's reply under Ana's name");
  assert.equal(await visibleAuthor(bo, sueMsg.id), PEOPLE.sue.name);
  await bo.page.reload();
  await bo.page.locator(msgSel(anaMsg.id)).waitFor();
  await until(bo.page, 'names after a reload', ([a, s, an, sn]) =>
    document.querySelector(`[data-message-id="${a}"]`)?.dataset.author === an &&
    document.querySelector(`[data-message-id="${s}"]`)?.dataset.author === sn, [anaMsg.id, sueMsg.id, PEOPLE.ana.name, PEOPLE.sue.name]);
});

step('a reply with a quote shows the quoted message; a reaction sits on its message, also for one sent in this page', async () => {
  const mine = await typeAndSend(bo, sid, 'Which size do you need?');
  const { channel_message_id: wamid } = await sentMessage(bo, sid, mine.id);
  await customer.repliesTo(fatima, wamid, 'Size M please');
  const reply = bo.page.locator(`${tid('message')}:has-text("Size M please")`);
  await reply.waitFor();
  await until(bo.page, 'the quote shows the quoted message', () =>
    /Which size do you need\?/.test([...document.querySelectorAll('[data-testid="quote"]')].pop()?.textContent || ''));
  await customer.reacts(fatima, wamid, '👍');
  await until(bo.page, 'the reaction on the message', ([id]) =>
    document.querySelector(`[data-message-id="${id}"] [data-testid="reaction"]`)?.textContent === '👍', [mine.id]);
  assert.equal(await bo.page.locator(`${tid('message')}[data-type="reaction"]`).count(), 0, 'no separate reaction bubble');
});

step('WhatsApp formatting renders as WhatsApp does, and never as HTML', async () => {
  await customer.says(fatima, '*big* _soft_ ~gone~ see https://example.com/a_b <img src=x onerror=alert(1)>');
  const m = bo.page.locator(`${tid('message')}:has-text("big")`).last();
  await m.waitFor();
  assert.equal(await m.locator('.msg-text strong').textContent(), 'big');
  assert.equal(await m.locator('.msg-text em').textContent(), 'soft');
  assert.equal(await m.locator('.msg-text s').textContent(), 'gone');
  assert.equal(await m.locator('.msg-text a').getAttribute('href'), 'https://example.com/a_b');
  assert.equal(await m.locator('.msg-text a').getAttribute('rel'), 'noopener noreferrer nofollow');
  assert.equal(await m.locator('img').count(), 0);
  assert.match(await m.locator('.msg-text').textContent(), /<img src=x onerror=alert\(1\)>/);
  await api(bo, 'POST', `/api/agent/sessions/${sid}/end`);
});

step('no page threw', async () => {
  for (const p of [ana, bo, sue]) assert.deepEqual(p.errors, []);
});
