// Issue 13 #12 and #13 (smaller items): on a 360x740 phone the top bar and the two clocks take
// little room and no keyboard hint is shown on touch; the disabled Send button looks disabled in
// dark mode; the login page logs no 401; every module is preloaded (fetched in parallel).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { env, PEOPLE, customer } from './lib/handoffd.mjs';
import { launch, api, tid } from './lib/browser.mjs';
import { loginAt, waitingSessionOf, openChat } from './lib/steps.mjs';

const hana = { from: '81901234567', name: 'Hana Sato' };
let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function signedIn(who, options) {
  const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', ...options });
  const page = await context.newPage();
  const p = { ...who, context, page, errors: [] };
  page.on('pageerror', (e) => p.errors.push(e.message));
  await loginAt(p, '/');
  return p;
}

test('phone (360x740, touch): top bar, chat header and clocks take at most 22 % of the screen; no Shift+Enter hint', { timeout: 30000 }, async () => {
  const ana = await signedIn(PEOPLE.ana, { viewport: { width: 360, height: 740 }, hasTouch: true, isMobile: true });
  await customer.tapsAgentMode(hana);
  const s = await waitingSessionOf(ana, hana);
  await api(ana, 'POST', `/api/agent/sessions/${s.id}/assign`, {});
  await customer.says(hana, 'Hi');
  await openChat(ana, 'mine', s.id);
  await ana.page.locator(tid('window-status')).waitFor();
  const used = await ana.page.evaluate(() => {
    const h = (sel) => { const el = document.querySelector(sel); return el && el.offsetParent !== null ? el.getBoundingClientRect().height : 0; };
    return h('.topbar') + h('.chat-header') + h('.customer-panel');
  });
  assert.ok(used <= 740 * 0.22, `top bar + chat header + clocks take ${used}px of 740`);
  const hint = await ana.page.locator('#composer-hint').textContent();
  assert.doesNotMatch(hint, /Shift\+Enter/);
  await api(ana, 'POST', `/api/agent/sessions/${s.id}/end`);
  await ana.context.close();
});

test('dark mode: the disabled Send button does not look like the enabled one', { timeout: 30000 }, async () => {
  const ana = await signedIn(PEOPLE.ana, { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' });
  const s = (await api(ana, 'GET', '/api/agent/sessions/history?limit=1')).sessions[0];
  await openChat(ana, 'history', s.id);
  const send = ana.page.locator(tid('send'));
  assert.equal(await send.isDisabled(), true);
  const look = await send.evaluate((el) => {
    const cs = getComputedStyle(el);
    const accent = getComputedStyle(document.documentElement).getPropertyValue('--accent').trim();
    const probe = document.createElement('span');
    probe.style.color = accent;
    document.body.append(probe);
    const accentRgb = getComputedStyle(probe).color;
    probe.remove();
    return { bg: cs.backgroundColor, accentRgb, opacity: cs.opacity };
  });
  assert.notEqual(look.bg, look.accentRgb, `disabled Send has the accent background (${look.bg})`);
  await ana.context.close();
});

test('the login page loads without a 401 in the console, and preloads every module', { timeout: 30000 }, async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const logged = [];
  page.on('console', (m) => { if (m.type() === 'error') logged.push(m.text()); });
  await page.goto(`${env.url}/`);
  await page.locator(tid('login-email')).waitFor();
  await page.waitForTimeout(300);
  assert.deepEqual(logged, [], 'console errors on the login page');
  // Sign in, then every module the page loaded is one index.html preloads.
  await page.locator(tid('login-email')).fill(PEOPLE.ana.email);
  await page.locator(tid('login-password')).fill(PEOPLE.ana.password);
  await page.locator(tid('login-submit')).click();
  await page.locator(tid('logout')).waitFor();
  const { loaded, preloaded } = await page.evaluate(() => ({
    loaded: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js') && p !== '/boot.js'),
    preloaded: [...document.querySelectorAll('link[rel="modulepreload"]')].map((l) => new URL(l.href).pathname),
  }));
  assert.ok(loaded.length >= 10, `modules loaded: ${loaded.length}`);
  assert.deepEqual(loaded.filter((p) => !preloaded.includes(p)), [], 'modules not preloaded');
  await context.close();
});
