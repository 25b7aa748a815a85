// Issue 8 in the dashboard, against a daemon of its own that sends to a fake Graph API
// (lib/media-daemon.mjs, lib/fake-graph.mjs): an attachment sent by the file picker (the upload
// and the send by id recorded by the fake Graph API, with an Idempotency-Key), a quoted reply
// and a reaction, a double click that sends once, read receipts sent once per customer message,
// and the template picker once the 24-hour window has closed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { messageWebhook } from './lib/handoffd.mjs';
import { launch, person, screenshot, tid, until } from './lib/browser.mjs';
import { startFakeGraph } from './lib/fake-graph.mjs';
import { startMediaDaemon, MIA } from './lib/media-daemon.mjs';

// A valid 1x1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const HOUR = 60 * 60 * 1000;
const paula = { from: '34611222333', name: 'Paula Photo' };
const theo = { from: '34611444555', name: 'Theo Template' };

let browser;
let graph;
let daemon;
let mia;
const reads = []; // POST .../read requests the page made

before(async () => {
  graph = await startFakeGraph();
  daemon = await startMediaDaemon(graph.base);
  browser = await launch();
  mia = await person(browser, MIA);
  mia.page.on('request', (r) => { if (r.method() === 'POST' && /\/read$/.test(new URL(r.url()).pathname)) reads.push(r.url()); });
  await mia.page.goto(`${daemon.url}/`);
  await mia.page.locator(tid('login-email')).fill(MIA.email);
  await mia.page.locator(tid('login-password')).fill(MIA.password);
  await mia.page.locator(tid('login-submit')).click();
  await mia.page.locator(tid('logout')).waitFor();
});
after(async () => {
  await browser?.close();
  await daemon?.stop();
  await graph?.close();
  assert.deepEqual(mia?.errors || [], [], 'no uncaught page errors');
});

/** A REST call as Mia (her cookie), from the dashboard's origin. */
async function call(method, urlPath, data) {
  const res = await mia.context.request.fetch(`${daemon.url}${urlPath}`, { method, data, headers: { Origin: daemon.url }, failOnStatusCode: false });
  const text = await res.text();
  if (!res.ok()) throw new Error(`${method} ${urlPath}: HTTP ${res.status()} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** The customer asks for an agent (at `at`, ms); Mia accepts; resolves to the session. */
async function acceptedChat(c, at) {
  await daemon.deliver(messageWebhook({ ...c, at, button: { id: 'AGENT_MODE', title: 'Talk to Expert' } }));
  let s;
  for (let i = 0; i < 100 && !s; i++) {
    s = (await call('GET', '/api/agent/sessions/waiting')).sessions.find((x) => x.phone_number === c.from);
    if (!s) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(s, `a waiting session for ${c.from}`);
  return call('POST', `/api/agent/sessions/${s.id}/assign`, {});
}

async function open(id) {
  await mia.page.evaluate((i) => { location.hash = `#/mine/${i}`; }, id);
  await until(mia.page, `chat ${id} open`, (i) => location.hash.endsWith(`/${i}`) && !document.querySelector('.chat').hidden, id);
}

const message = (id) => mia.page.locator(`${tid('message')}[data-message-id="${id}"]`);

test('an attachment is uploaded and sent by id; the chat is marked read once', { timeout: 30000 }, async () => {
  const s = await acceptedChat(paula);
  await open(s.id);
  // Read receipts: one for the customer's message, however often the chat renders.
  const read = await graph.until('the read receipt', () => graph.sends((j) => j.status === 'read' && !j.typing_indicator).length === 1);
  assert.ok(read);

  const posted = mia.page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === `/api/agent/sessions/${s.id}/attachments`);
  const answered = mia.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/agent/sessions/${s.id}/attachments`);
  await mia.page.locator(tid('attach-input')).setInputFiles({ name: 'part.png', mimeType: 'image/png', buffer: PNG });
  const req = await posted;
  assert.ok(req.headers()['idempotency-key'], 'the upload carries an Idempotency-Key');
  const res = await answered;
  assert.equal(res.status(), 201);
  const m = await res.json();
  assert.equal(m.type, 'image');

  // The fake Graph API got the file, then the image by the id it gave.
  const send = await graph.until('the image send', () => graph.sends((j) => j.type === 'image')[0]);
  const [upload] = graph.uploads();
  assert.ok(upload, 'one upload');
  assert.ok(upload.raw.includes(PNG), 'the upload carries the PNG bytes');
  assert.match(upload.raw.toString('latin1'), /image\/png/);
  assert.equal(upload.headers.authorization, 'Bearer e2e-media-token');
  assert.equal(send.json.image.id, upload.mediaId);
  assert.equal(send.json.to, `+${paula.from}`);

  // Shown to the agent like inbound media: the image loads.
  await until(mia.page, 'the sent image is shown', (id) => {
    const img = document.querySelector(`[data-testid="message"][data-message-id="${id}"] img`);
    return img && img.complete && img.naturalWidth > 0;
  }, m.id);

  // Over WhatsApp's 5 MB for images: a 413, told in plain words; nothing more is uploaded.
  await mia.page.locator(tid('attach-input')).setInputFiles({ name: 'huge.png', mimeType: 'image/png', buffer: Buffer.alloc(5 * 1024 * 1024 + 1, 1) });
  const failed = mia.page.locator(`${tid('upload-line')}.is-error`);
  await failed.waitFor();
  assert.equal(await failed.getAttribute('data-status'), '413');
  assert.match(await failed.textContent(), /huge\.png is too large to send on WhatsApp/);
  assert.equal(graph.uploads().length, 1, 'the refused file never reached WhatsApp');
  await screenshot(mia.page, 'media-attachment.png');
  assert.equal(graph.sends((j) => j.status === 'read' && !j.typing_indicator).length, 1, 'read sent once');
  assert.equal(reads.length, 1, 'the page asked for read once');
});

test('quote and react on a message; a double click sends once', { timeout: 30000 }, async () => {
  const { sessions } = await call('GET', `/api/agent/sessions/my-chats/${(await call('GET', '/api/me')).id}`);
  const s = sessions.find((x) => x.phone_number === paula.from);
  const question = messageWebhook({ ...paula, text: 'Is it the blue one?' });
  const wamid = question.entry[0].changes[0].value.messages[0].id;
  await daemon.deliver(question);
  // A new customer message: read once more.
  await graph.until('the second read receipt', () => graph.sends((j) => j.status === 'read' && !j.typing_indicator).length === 2);
  const { messages } = await call('GET', `/api/agent/sessions/${s.id}/messages`);
  const asked = messages.find((x) => x.channel_message_id === wamid);
  await message(asked.id).waitFor();

  // Quote it (hover shows the actions) and answer.
  await message(asked.id).hover();
  await message(asked.id).locator(tid('quote-reply')).click();
  await mia.page.locator(tid('reply-bar')).waitFor();
  const composer = mia.page.locator(tid('composer'));
  await composer.fill('Yes, the blue one.');
  await graph.until('the typing indicator', () => graph.sends((j) => j.typing_indicator?.type === 'text').length === 1);
  const sent = mia.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/agent/sessions/${s.id}/messages`);
  await composer.press('Enter');
  const res = await sent;
  assert.equal(res.status(), 201);
  assert.equal(JSON.parse(res.request().postData()).reply_to, asked.id);
  const reply = await graph.until('the quoted reply', () => graph.sends((j) => j.text?.body === 'Yes, the blue one.')[0]);
  assert.equal(reply.json.context.message_id, wamid);
  await mia.page.locator(`${tid('reply-bar')}[hidden]`).waitFor({ state: 'attached' });

  // React with the keyboard: focus the message's React button, Enter, then a choice.
  await message(asked.id).locator(tid('react')).focus();
  await mia.page.keyboard.press('Enter');
  await message(asked.id).locator(`${tid('react-choice')}[aria-label="React 👍"]`).click();
  const reacted = await graph.until('the reaction', () => graph.sends((j) => j.type === 'reaction')[0]);
  assert.deepEqual(reacted.json.reaction, { message_id: wamid, emoji: '👍' });
  await message(asked.id).locator(tid('my-reaction')).waitFor();
  await message(asked.id).hover();
  await screenshot(mia.page, 'media-quote-react.png');

  // A double click on Send: one message.
  await composer.fill('Sent once');
  const keys = [];
  const onReq = (r) => { if (r.method() === 'POST' && new URL(r.url()).pathname.endsWith('/messages')) keys.push(r.headers()['idempotency-key']); };
  mia.page.on('request', onReq);
  await mia.page.locator(tid('send')).dblclick();
  await graph.until('the text send', () => graph.sends((j) => j.text?.body === 'Sent once').length >= 1);
  await until(mia.page, 'the composer is empty again', () => document.querySelector('[data-testid="composer"]').value === '');
  mia.page.off('request', onReq);
  assert.ok(keys.length >= 1 && keys.every((k) => k && k === keys[0]), `one Idempotency-Key (${keys})`);
  const mine = (await call('GET', `/api/agent/sessions/${s.id}/messages`)).messages.filter((x) => x.content === 'Sent once');
  assert.equal(mine.length, 1, 'stored once');
  assert.equal(graph.sends((j) => j.text?.body === 'Sent once').length, 1, 'sent to WhatsApp once');
  // Typing in the composer showed WhatsApp's typing indicator, once for both texts (throttled).
  assert.equal(graph.sends((j) => j.typing_indicator?.type === 'text').length, 1, 'one typing indicator');
});

test('once the window has closed the composer offers the template picker', { timeout: 30000 }, async () => {
  const s = await acceptedChat(theo, Date.now() - 25 * HOUR);
  await open(s.id);
  await mia.page.locator(tid('window-closed')).waitFor();
  assert.match(await mia.page.locator(tid('window-closed')).textContent(), /24-hour window has closed/);
  assert.ok(await mia.page.locator(tid('composer')).isHidden(), 'no free-text composer');
  const params = mia.page.locator(tid('template-param'));
  await until(mia.page, 'two parameter fields', () => document.querySelectorAll('[data-testid="template-param"]').length === 2);
  await params.nth(0).fill('Theo');
  await params.nth(1).fill('A-42');
  assert.equal(await mia.page.locator(tid('template-preview')).textContent(), 'Hi Theo, your order A-42 is ready.');
  assert.ok(await mia.page.locator(tid('template-send')).isEnabled(), 'every parameter filled: Send template is enabled');
  await screenshot(mia.page, 'media-template.png');
  const sent = mia.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/agent/sessions/${s.id}/template`);
  await mia.page.locator(tid('template-send')).click();
  const res = await sent;
  assert.equal(res.status(), 201);
  assert.ok(res.request().headers()['idempotency-key'], 'the template carries an Idempotency-Key');
  const t = await graph.until('the template send', () => graph.sends((j) => j.type === 'template' && j.to === `+${theo.from}`)[0]);
  assert.equal(t.json.template.name, 'order_ready');
  assert.equal(t.json.template.language.code, 'en');
  assert.deepEqual(t.json.template.components[0].parameters.map((p) => p.text), ['Theo', 'A-42']);
});

test('a new conversation reaches a customer who never wrote with a template', { timeout: 30000 }, async () => {
  const nadia = '34611666777';
  await mia.page.locator(tid('new-conversation')).click();
  await mia.page.locator(tid('new-conversation-phone')).fill(`+${nadia}`);
  const started = mia.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/agent/sessions/start/${nadia}`);
  await mia.page.locator(tid('new-conversation-start')).click();
  const res = await started;
  assert.equal(res.status(), 201);
  const s = await res.json();
  await until(mia.page, 'the started chat is open', (i) => location.hash === `#/waiting/${i}`, s.id);
  await mia.page.locator(tid('window-closed')).waitFor();
  assert.match(await mia.page.locator(tid('window-closed')).textContent(), /has not written yet/);
  const params = mia.page.locator(tid('template-param'));
  await until(mia.page, 'two parameter fields', () => document.querySelectorAll('[data-testid="template-param"]').length === 2);
  await params.nth(0).fill('Nadia');
  await params.nth(1).fill('B-7');
  await mia.page.locator(tid('template-send')).click();
  const t = await graph.until('the template to the new customer', () => graph.sends((j) => j.type === 'template' && j.to === `+${nadia}`)[0]);
  assert.deepEqual(t.json.template.components[0].parameters.map((p) => p.text), ['Nadia', 'B-7']);
});
