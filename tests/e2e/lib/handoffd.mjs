// The daemon under test, as run.sh started it: its URL, the customers' side (signed WhatsApp
// webhooks, built like channels/whatsapp/webhook_builder.cc does) and a restart on the same
// config and database.

import { createHmac, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite through tests/e2e/run.sh`);
  return v;
}

export const env = {
  get url() { return need('HANDOFFD_E2E_URL'); },
  get secret() { return need('HANDOFFD_E2E_APP_SECRET'); },
  get binary() { return need('HANDOFFD_BINARY'); },
  get config() { return need('HANDOFFD_E2E_CONFIG'); },
  get pidFile() { return need('HANDOFFD_E2E_PIDFILE'); },
  get log() { return need('HANDOFFD_E2E_LOG'); },
  get screenshots() { return need('HANDOFFD_E2E_SCREENSHOTS'); },
  get artifacts() { return need('HANDOFFD_E2E_ARTIFACTS'); },
};

/** The people run.sh created (`handoffd agent add`). */
export const PEOPLE = {
  ana: { email: 'ana@example.test', name: 'Ana Agent', password: 'ana-e2e-password', role: 'agent' },
  bo: { email: 'bo@example.test', name: 'Bo Agent', password: 'bo-e2e-password', role: 'agent' },
  sue: { email: 'sue@example.test', name: 'Sue Supervisor', password: 'sue-e2e-password', role: 'supervisor' },
};

export const PHONE_NUMBER_ID = '123456789012345';

// --- webhooks --------------------------------------------------------------------------------
const nowSeconds = () => String(Math.floor(Date.now() / 1000));

function wamid() {
  // Real ids are "wamid." + base64, with "+", "/" and "=" in them.
  return `wamid.HBgL${randomBytes(30).toString('base64')}`;
}

function envelope(valueTail) {
  return {
    object: 'whatsapp_business_account',
    entry: [{
      id: '109876543210987',
      changes: [{
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '15550001111', phone_number_id: PHONE_NUMBER_ID },
          ...valueTail,
        },
        field: 'messages',
      }],
    }],
  };
}

/**
 * A customer's message: {from, name} and one of {button: {id, title}}, {text} or
 * {reaction: {message_id, emoji}}; `context`: the wamid it replies to (reply-with-quote);
 * `at`: the customer's own time (WhatsApp's `timestamp`, a Date or ms), default now.
 */
export function messageWebhook({ from, name, text, button, reaction, context, at }) {
  const timestamp = at == null ? nowSeconds() : String(Math.floor(Number(at) / 1000));
  const message = { from, id: wamid(), timestamp };
  if (context) message.context = { from: '15550001111', id: context };
  if (reaction) {
    message.type = 'reaction';
    message.reaction = reaction;
  } else if (button) {
    message.type = 'interactive';
    message.interactive = { type: 'button_reply', button_reply: { id: button.id, title: button.title } };
  } else {
    message.type = 'text';
    message.text = { body: text };
  }
  return envelope({ contacts: [{ profile: { name }, wa_id: from }], messages: [message] });
}

/** A delivery status of an outbound message (status: sent|delivered|read|failed). */
export function statusWebhook({ id, status, recipient, error }) {
  const st = { id, status, timestamp: nowSeconds(), recipient_id: recipient };
  if (status === 'failed') {
    st.errors = [{ code: error.code, title: error.title, message: error.title, error_data: { details: error.title } }];
  }
  return envelope({ statuses: [st] });
}

export function sign(body, secret = env.secret) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** POSTs a signed webhook; resolves to the HTTP status (throws when the daemon is unreachable). */
export async function postWebhook(payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${env.url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': sign(body) },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Delivers a webhook as Meta does: 200 expected. */
export async function deliver(payload) {
  const status = await postWebhook(payload);
  if (status !== 200) throw new Error(`webhook answered HTTP ${status}, expected 200`);
}

/** `at` (optional): the customer's own time of the message (WhatsApp's `timestamp`). */
export const customer = {
  tapsAgentMode: (c, at) => deliver(messageWebhook({ ...c, at, button: { id: 'AGENT_MODE', title: 'Talk to Expert' } })),
  says: (c, text, at) => deliver(messageWebhook({ ...c, text, at })),
  repliesTo: (c, wamidOf, text) => deliver(messageWebhook({ ...c, text, context: wamidOf })),
  reacts: (c, wamidOf, emoji) => deliver(messageWebhook({ ...c, reaction: { message_id: wamidOf, emoji } })),
};

// --- the daemon process ----------------------------------------------------------------------
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'; // a zombie has exited
  } catch {
    return false;
  }
}

export function daemonPid() {
  return Number(readFileSync(env.pidFile, 'utf8').trim());
}

async function until(what, fn, timeoutMs, stepMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

async function ready() {
  try {
    const res = await fetch(`${env.url}/readyz`);
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** SIGTERM, and waits until the process has exited. */
export async function stopDaemon(timeoutMs = 15000) {
  const pid = daemonPid();
  process.kill(pid, 'SIGTERM');
  await until(`handoffd (pid ${pid}) to exit after SIGTERM`, () => !alive(pid), timeoutMs);
}

/** Starts `handoffd serve` again on the same config (so the same port and database). */
export async function startDaemon(timeoutMs = 15000) {
  const fd = openSync(env.log, 'a');
  const child = spawn(env.binary, ['serve', '--config', env.config], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  writeFileSync(env.pidFile, `${child.pid}\n`);
  await until('handoffd to answer /readyz after the restart', async () => {
    if (!alive(child.pid)) throw new Error('handoffd exited right after starting again (see its log)');
    return ready();
  }, timeoutMs);
}
