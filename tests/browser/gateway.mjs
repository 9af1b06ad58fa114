// A real hookgate for the browser test: the built binary on ports the kernel picks, a throw-away
// SQLite store, and receivers on 127.0.0.1 (one always failing, one always answering 200).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TOKENS = { all: 'dash-all-token', viewer: 'dash-view-token' };

// A receiver answering `status` to everything, counting what it got.
export function receiver(status) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      server.hits += 1;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status < 300 ? { ok: true } : { error: 'receiver is down for maintenance' }));
    });
  });
  server.hits = 0;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    server.url = `http://127.0.0.1:${server.address().port}`;
    resolve(server);
  }));
}

function config(failing, working) {
  return `
[server]
public_url = "https://hooks.example.com"

[delivery]
allow_targets = ["127.0.0.0/8"]
retry_schedule = ["100ms"]
max_retry_count = 0
pause_after = "1s"

[[admin.token]]
name = "ops"
secret = "${TOKENS.all}"
scopes = ["WEBHOOKS:VIEW", "WEBHOOKS:ADD", "WEBHOOKS:EDIT", "WEBHOOKS:REMOVE"]

[[admin.token]]
name = "auditor"
secret = "${TOKENS.viewer}"
scopes = ["WEBHOOKS:VIEW"]

[[listener]]
id = "orders"
name = "Orders (Smoobu)"
provider = "smoobu"
account_id = "acme-orders"
event_subscription = { newReservation = true, updateReservation = true }

[[listener.receiver]]
url = "${failing.url}/hooks/orders"

[[listener]]
id = "payments"
name = "Payments (Smoobu)"
provider = "smoobu"
account_id = "acme-payments"

[[listener.receiver]]
url = "${working.url}/hooks/payments"

[[system_webhook]]
url = "${working.url}/hooks/system"
events = ["account.created", "account.updated", "account.deleted", "delivery.failed", "delivery.recovered"]
`;
}

// Starts the gateway; resolves with its addresses once it says it is listening.
export async function startGateway(binary, failing, working) {
  const dir = mkdtempSync(join(tmpdir(), 'hookgate-dash-'));
  const file = join(dir, 'listeners.toml');
  writeFileSync(file, config(failing, working));
  const child = spawn(binary, ['serve', '--config', file, '--listen', '127.0.0.1:0',
    '--admin-listen', '127.0.0.1:0', '--store', `sqlite://${join(dir, 'store.db')}`, '--log-format', 'json'],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  const log = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${log.join('\n')}`)), 30000);
    let rest = '';
    child.stderr.on('data', (chunk) => {
      rest += chunk;
      const lines = rest.split('\n');
      rest = lines.pop();
      for (const line of lines) {
        log.push(line);
        if (line.includes('listening') && line.includes('public')) {
          const j = JSON.parse(line);
          clearTimeout(timer);
          resolve({ child, log, public: `http://${j.public}`, admin: `http://${j.admin}` });
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`gateway exited ${code}:\n${log.join('\n')}`)));
  });
}

// Posts a Smoobu webhook to a listener; the gateway's JSON answer.
export async function sendEvent(gw, account, action, id) {
  const res = await fetch(`${gw.public}/api/v1/listener/smoobu/${account}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action, user: 7, data: { id, arrival: '2026-12-24', guestName: 'Ada Lovelace', price: 420.5 } }),
  });
  return { status: res.status, body: await res.json() };
}
