// Issue 11: the web chat widget in a real browser. A host page on another port (another origin,
// with hostile CSS) embeds /widget.js from handoffd; the visitor asks for a human, an agent in a
// second browser context accepts, they write and type both ways, read ticks reach the agent, a
// reload resumes the conversation, the visitor ends it; a second visitor leaves an offline message
// that the agent marks handled; a widget whose team is on holiday offers the offline form by itself.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { PEOPLE, env } from './lib/handoffd.mjs';
import { launch, person, api, tid, until, messageEl } from './lib/browser.mjs';
import { loginAt, openChat, typeAndSend } from './lib/steps.mjs';

const KEY = 'e2e-shop';
const hostPort = Number(process.env.HANDOFFD_E2E_WIDGET_PORT);
const hostUrl = `http://127.0.0.1:${hostPort}`;
// The host page tries hard to restyle everything; none of it may reach the widget.
const HOST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<style>* { color: rgb(255, 0, 0) !important; font-size: 40px !important; }
button { display: none !important; } div { border: 9px solid lime !important; }
body { font-family: "Comic Sans MS", cursive; }</style></head>
<body><h1>A shop</h1><button id="host-button">Host button</button>
<script src="${env.url}/widget.js" data-widget-key="${KEY}" async></script></body></html>`;
// The same host page for the widget whose team is closed (/night).
const NIGHT_PAGE = HOST_PAGE.replace(`data-widget-key="${KEY}"`, 'data-widget-key="e2e-night"');

let server;
let browser;
let ana;
let visitor;

/** A visitor at the host page (or `path` of the host): {context, page, errors}. */
async function visitorAt(b, path = '/') {
  const context = await b.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
  await page.goto(hostUrl + path);
  await page.locator('handoffd-webchat >> button.launcher').waitFor();
  return { context, page, errors };
}

const w = (v, sel) => v.page.locator(`handoffd-webchat >> ${sel}`);
const widgetText = (v) => v.page.evaluate(() => document.querySelector('handoffd-webchat').shadowRoot.textContent);

/** YYYY-MM-DD of today + `days` (UTC). */
const ymd = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);

before(async () => {
  execFileSync(env.binary, ['team', 'add', '--config', env.config, '--name', 'Night Desk', '--slug', 'night-desk',
    '--timezone', 'UTC', '--hours', 'mon-sun 00:00-24:00', '--holiday', ymd(0), '--holiday', ymd(1)]);
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(req.url === '/night' ? NIGHT_PAGE : HOST_PAGE);
  });
  await new Promise((ok) => server.listen(hostPort, '127.0.0.1', ok));
  browser = await launch();
  ana = await person(browser, PEOPLE.ana);
  await loginAt(ana, '/');
  visitor = await visitorAt(browser);
});
after(async () => {
  await browser?.close();
  await new Promise((ok) => (server ? server.close(ok) : ok()));
});

test('the host page\'s CSS does not leak into the widget, which is 360 px wide and labelled', { timeout: 30000 }, async () => {
  const launcher = w(visitor, 'button.launcher');
  assert.equal(await launcher.getAttribute('aria-label'), 'Open chat');
  await launcher.click();
  const panel = w(visitor, '.panel');
  await panel.waitFor();
  const style = await visitor.page.evaluate(() => {
    const root = document.querySelector('handoffd-webchat').shadowRoot;
    const send = root.querySelector('button[aria-label="Send message"]');
    const p = root.querySelector('.panel');
    const cs = getComputedStyle(send);
    return { display: cs.display, color: cs.color, fontSize: cs.fontSize, width: p.getBoundingClientRect().width, border: getComputedStyle(p).borderTopWidth };
  });
  assert.notEqual(style.display, 'none', 'host "button {display:none}" hid the widget\'s button');
  assert.notEqual(style.color, 'rgb(255, 0, 0)');
  assert.notEqual(style.fontSize, '40px');
  assert.equal(style.width, 360);
  assert.equal(style.border, '0px');
  assert.match(await widgetText(visitor), /Hello from the E2E Shop!/);
  assert.equal(await w(visitor, 'textarea[aria-label="Message"]').isVisible(), true);
});

let sid;
test('the visitor asks for a human; an agent in another context accepts; both write and type; read ticks', { timeout: 60000 }, async () => {
  const composer = w(visitor, 'textarea[aria-label="Message"]');
  await composer.fill('Do you ship to Lisbon?');
  await composer.press('Enter');
  await until(visitor.page, 'own message shown', () => /Do you ship to Lisbon\?/.test(document.querySelector('handoffd-webchat').shadowRoot.querySelector('.log').textContent));
  await w(visitor, 'button:has-text("Talk to a human")').click();
  await until(visitor.page, 'queue position shown', () => /number \d+ in line/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));

  // The agent sees a web chat session waiting, with its channel icon, and accepts it.
  let session;
  for (let i = 0; i < 50 && !session; i++) {
    const { sessions } = await api(ana, 'GET', '/api/agent/sessions/waiting');
    session = sessions.filter((s) => s.channel === 'webchat').pop();
    if (!session) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(session, 'a waiting web chat session');
  sid = session.id;
  await ana.page.locator(`${tid('tab-waiting')}`).click();
  const icon = ana.page.locator(`${tid('session-item')}[data-session-id="${sid}"] ${tid('channel-icon')}`);
  assert.equal(await icon.getAttribute('data-channel'), 'webchat');
  await openChat(ana, 'waiting', sid);
  await ana.page.locator(tid('accept')).click();
  await until(visitor.page, 'agent name shown', () => /Chatting with Ana Agent/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));

  // Agent typing reaches the visitor.
  await openChat(ana, 'mine', sid);
  await ana.page.locator(tid('composer')).pressSequentially('Yes we', { delay: 20 });
  await until(visitor.page, 'agent typing shown', () => /Ana Agent is typing/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));
  await ana.page.locator(tid('composer')).fill('');
  const reply = await typeAndSend(ana, sid, 'Yes, we ship to Lisbon in 2 days.');
  await until(visitor.page, 'agent reply shown', () => /ship to Lisbon in 2 days/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));
  // The widget is open: the reply becomes read, and the agent sees it.
  await until(ana.page, 'read tick', ([id]) => document.querySelector(`[data-testid="message"][data-message-id="${id}"]`)?.dataset.deliveryStatus === 'read', [reply.id], 15000);
  assert.equal(await messageEl(ana.page, reply.id).getAttribute('data-delivery-status'), 'read');

  // Visitor typing reaches the agent; then the visitor's message.
  await composer.pressSequentially('Great', { delay: 30 });
  await until(ana.page, 'visitor typing shown', () => !!document.querySelector('[data-testid="chat-visitor-typing"]'));
  await composer.press('Enter');
  await until(ana.page, 'visitor message shown', () => [...document.querySelectorAll('[data-testid="message"]')].some((m) => /Great/.test(m.textContent)));
});

test('a reload resumes the conversation; the visitor ends it', { timeout: 40000 }, async () => {
  await visitor.page.reload();
  await w(visitor, 'button.launcher').click();
  await until(visitor.page, 'history restored', () => /ship to Lisbon in 2 days/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));
  assert.match(await widgetText(visitor), /Chatting with Ana Agent/);
  await w(visitor, 'button:has-text("End chat")').click();
  await until(visitor.page, 'ended shown', () => /Chat ended/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));
  const s = await api(ana, 'GET', `/api/agent/sessions/${sid}`);
  assert.equal(s.status, 'ended');
  assert.equal(s.end_reason, 'customer');
  assert.deepEqual(visitor.errors, []);
});

test('the offline form stores a message the agent lists and marks handled', { timeout: 40000 }, async () => {
  const other = await visitorAt(browser);
  await w(other, 'button.launcher').click();
  await w(other, 'button:has-text("Leave a message")').click();
  await w(other, 'input[name="name"]').fill('Olga Offline');
  await w(other, 'input[name="email"]').fill('olga@example.test');
  await w(other, 'textarea[name="message"]').fill('Please call me tomorrow.');
  await w(other, 'button:has-text("Send message")').click();
  await until(other.page, 'thanks shown', () => /Thank you/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));
  await ana.page.locator(tid('tab-offline')).click();
  const item = ana.page.locator(`${tid('offline-item')}:has-text("Olga Offline")`);
  await item.waitFor();
  assert.match(await item.textContent(), /Please call me tomorrow/);
  await item.locator(tid('offline-handled')).click();
  await until(ana.page, 'handled', () => ![...document.querySelectorAll('[data-testid="offline-item"]')].some((i) => /Olga Offline/.test(i.textContent)));
  await other.context.close();
  assert.deepEqual(ana.errors, []);
});

test('outside its team\'s hours the widget says so and takes an offline message instead', { timeout: 40000 }, async () => {
  const night = await visitorAt(browser, '/night');
  await w(night, 'button.launcher').click();
  await until(night.page, 'the away notice', () => /We are away right now/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));
  await w(night, 'button:has-text("Talk to a human")').click();
  await w(night, 'input[name="name"]').waitFor(); // the offline form opens by itself
  await w(night, 'input[name="name"]').fill('Nina Night');
  await w(night, 'input[name="email"]').fill('nina@example.test');
  await w(night, 'textarea[name="message"]').fill('Back tomorrow?');
  await w(night, 'button:has-text("Send message")').click();
  await until(night.page, 'thanks shown', () => /Thank you/.test(document.querySelector('handoffd-webchat').shadowRoot.textContent));
  const listed = await api(ana, 'GET', '/api/offline-messages?handled=false');
  assert.ok(JSON.stringify(listed).includes('Nina Night'), JSON.stringify(listed));
  assert.deepEqual(night.errors, []);
  await night.context.close();
});
