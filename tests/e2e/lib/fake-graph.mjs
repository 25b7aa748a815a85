// A stand-in for the WhatsApp Graph API on a loopback port (like tests/support/fake_graph_server
// for the C++ tests): POST {base}/{phone_number_id}/messages answers a fresh wamid, POST
// {base}/{phone_number_id}/media a fresh media id ("fake-upload-N"); every request is recorded
// (method, path, headers, raw body, and the JSON body when it is JSON) for the tests to assert.

import { createServer } from 'node:http';

export async function startFakeGraph() {
  const requests = [];
  let sends = 0;
  let uploads = 0;
  const waiters = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let json = null;
      if ((req.headers['content-type'] || '').startsWith('application/json')) {
        try { json = JSON.parse(raw.toString('utf8')); } catch { json = null; }
      }
      const entry = { method: req.method, path: req.url, headers: req.headers, raw, json };
      let answer;
      if (req.method === 'POST' && req.url.endsWith('/media')) {
        entry.mediaId = `fake-upload-${++uploads}`;
        answer = { id: entry.mediaId };
      } else if (req.method === 'POST' && req.url.endsWith('/messages')) {
        entry.wamid = `wamid.FAKE${++sends}`;
        answer = { messaging_product: 'whatsapp', success: true, contacts: [{ input: json?.to, wa_id: json?.to }], messages: [{ id: entry.wamid }] };
      } else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found', code: 100 } }));
        return;
      }
      requests.push(entry);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
      for (const w of [...waiters]) if (w.check()) waiters.splice(waiters.indexOf(w), 1);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}/v21.0`;
  return {
    base,
    requests,
    /** The JSON sends (POST .../messages) matching `fn`. */
    sends: (fn = () => true) => requests.filter((r) => r.json && r.path.endsWith('/messages') && fn(r.json)),
    uploads: () => requests.filter((r) => r.path.endsWith('/media')),
    /** Resolves once fn(requests) is truthy (checked on every request), or rejects after timeoutMs. */
    until(what, fn, timeoutMs = 10000) {
      return new Promise((resolve, reject) => {
        const w = { check: () => { const v = fn(requests); if (v) { clearTimeout(w.timer); resolve(v); } return !!v; } };
        if (w.check()) return;
        w.timer = setTimeout(() => { waiters.splice(waiters.indexOf(w), 1); reject(new Error(`fake Graph: timed out waiting for ${what}`)); }, timeoutMs);
        waiters.push(w);
      });
    },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}
