// Debian's Chromium driven by playwright-core: one browser, one context (cookies, storage) per
// person, a login through the login page, and a few helpers around data-testid hooks.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { env } from './handoffd.mjs';

export const CHROMIUM = process.env.HANDOFFD_E2E_CHROMIUM || '/usr/bin/chromium';

// Playwright gives every launch a fresh temporary user data dir (and removes it on close).
export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

export const tid = (id) => `[data-testid="${id}"]`;
export const sessionItem = (id) => `${tid('session-item')}[data-session-id="${id}"]`;
export const DESKTOP = { width: 1280, height: 800 };
export const MOBILE = { width: 360, height: 780 };

/**
 * A person at a browser: {name, context, page, errors}. `errors` collects uncaught page errors
 * (a test fails on them at the end); console noise of a restart (refused connections) is not.
 */
export async function person(browser, who, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(10000);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(`${who.name}: ${e.message}`));
  watch(page);
  return { ...who, context, page, errors, viewport };
}

/** Signs in through the login page and waits for the signed-in layout. */
export async function login(p) {
  const { page } = p;
  await page.goto(`${env.url}/`);
  await page.locator(tid('login-email')).fill(p.email);
  await page.locator(tid('login-password')).fill(p.password);
  await page.locator(tid('login-submit')).click();
  await page.locator(tid('logout')).waitFor();
  p.me = await api(p, 'GET', '/api/me');
}

/** A REST call with the person's own login (the context's cookie), from the dashboard's origin
 * as the browser would send it (cookie writes need a same-origin Origin: SECURITY.md). */
export async function api(p, method, urlPath, data) {
  const headers = { Origin: env.url };
  const res = await p.context.request.fetch(`${env.url}${urlPath}`, { method, data, headers, failOnStatusCode: false });
  const text = await res.text();
  if (!res.ok()) throw new Error(`${method} ${urlPath} as ${p.name}: HTTP ${res.status()} ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function screenshot(page, name, dir = env.screenshots) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  await page.screenshot({ path: file });
  return file;
}

/** Message `id` in the open chat (its data-delivery-status, ticks and failure note). */
export function messageEl(page, id) {
  return page.locator(`${tid('message')}[data-message-id="${id}"]`);
}

// The last things that went wrong on each page (console errors, HTTP errors, failed requests),
// told when a wait times out: CI keeps only the test's output.
const recent = new WeakMap();
function watch(page) {
  const log = [];
  recent.set(page, log);
  const note = (line) => {
    log.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (log.length > 8) log.shift();
  };
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') note(`console ${m.type()}: ${m.text()}`); });
  page.on('requestfailed', (r) => note(`${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));
  page.on('response', (r) => { if (r.status() >= 400) note(`${r.request().method()} ${r.url()} -> ${r.status()}`); });
}

/** Waits until fn(arg) is truthy in the page; fails with `what` in the message, and what last
 * went wrong on the page. */
export async function until(page, what, fn, arg, timeout = 10000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (err) {
    const log = recent.get(page) || [];
    const seen = log.length ? ` (the page's last errors: ${log.join(' | ')})` : '';
    throw new Error(`${what}: ${err.message.split('\n')[0]}${seen}`);
  }
}
