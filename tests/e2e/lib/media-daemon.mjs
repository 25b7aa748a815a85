// A second handoffd for the WhatsApp media tests: the suite's own daemon runs without an access
// token (dry-run sends), so this one is started with a token, the fake Graph API
// (lib/fake-graph.mjs), templates and a session_ttl longer than the window, on its own port
// and SQLite database under the run's artifacts directory. Its agent: Mia.

import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { env } from './handoffd.mjs';

export const MIA = { email: 'mia@example.test', name: 'Mia Media', password: 'mia-e2e-password', role: 'agent' };
export const TEMPLATES = [{ name: 'order_ready', language: 'en', body: 'Hi {{1}}, your order {{2}} is ready.' }];

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts the daemon against `graphBase`; resolves to {url, secret, stop()}. */
export async function startMediaDaemon(graphBase) {
  const dir = path.join(env.artifacts, `media-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const config = path.join(dir, 'handoffd.toml');
  // The suite's own config names the dashboard folder (HANDOFFD_E2E_DASHBOARD_DIR) when one is used.
  const dashboardLine = readFileSync(env.config, 'utf8').split('\n').find((l) => l.startsWith('dashboard_dir')) || '';
  writeFileSync(config, `# Written by tests/e2e/lib/media-daemon.mjs
[server]
listen = "127.0.0.1:${port}"
${dashboardLine}

[database]
url = "sqlite:${dir}/handoffd.db"

[handoff]
session_ttl = "48h"

[media]
dir = "${dir}/media"

[whatsapp]
app_secret = "${secret}"
verify_token = "e2e-verify-token"
phone_number_id = "123456789012345"
access_token = "e2e-media-token"
api_base = "${graphBase}"
${TEMPLATES.map((t) => `[[whatsapp.templates]]\nname = "${t.name}"\nlanguage = "${t.language}"\nbody = "${t.body}"\n`).join('\n')}
[log]
format = "json"
`);
  const log = path.join(dir, 'handoffd.log');
  const run = (args, input) => execFileSync(env.binary, args, { input, stdio: ['pipe', 'ignore', 'pipe'] });
  run(['migrate', '--config', config]);
  run(['agent', 'add', '--config', config, '--email', MIA.email, '--name', MIA.name, '--role', MIA.role, '--password-stdin'], `${MIA.password}\n`);
  const fd = openSync(log, 'a');
  const child = spawn(env.binary, ['serve', '--config', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    try {
      const res = await fetch(`${url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (child.exitCode !== null) throw new Error(`the media daemon exited at start (see ${log})`);
    if (Date.now() > deadline) throw new Error(`the media daemon was not ready within 15 s (see ${log})`);
    await sleep(100);
  }
  return {
    url,
    log,
    /** Delivers a signed webhook payload (lib/handoffd.mjs messageWebhook) to this daemon. */
    async deliver(payload) {
      const body = JSON.stringify(payload);
      const res = await fetch(`${url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`webhook answered HTTP ${res.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
