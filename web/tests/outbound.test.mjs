// Replies reach the guest: the manager connects a bridge on the Connections page (the secret
// shows once), sends a test event, and sees its deliveries; an agent's reply shows a tick when
// the bridge accepts it, and a failed reply its reason and a Retry button that sends it again.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;
let bridge;
const received = [];
let answer = 200;

before(async () => {
  // The test's bridge listens on loopback, which the server refuses unless told otherwise.
  process.env.SWITCHBOARD_DELIVERY_ALLOW_PRIVATE = 'true';
  process.env.SWITCHBOARD_DELIVERY_BACKOFF_MS = '100';
  process.env.SWITCHBOARD_DELIVERY_POLL_MS = '50';
  bridge = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(body || '{}') });
      res.writeHead(answer).end();
    });
  });
  await new Promise((r) => bridge.listen(0, '127.0.0.1', r));
  server = await startServer('outbound');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  bridge?.close();
});

test('a manager connects a bridge; replies show their delivery and a failed one can be retried', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await loginThroughForm(page, server, server.manager.email, server.manager.password);
  await page.waitForURL(/#\/wallboard$/, { timeout: 5000 });
  await page.getByRole('link', { name: 'Connections' }).click();
  await page.getByRole('heading', { name: 'Connections' }).waitFor({ timeout: 5000 });

  const hook = `http://127.0.0.1:${bridge.address().port}/hook`;
  await page.getByLabel('Name').fill('Airbnb bridge');
  await page.getByLabel('Delivery URL').fill(hook);
  await page.getByRole('button', { name: 'Create connection' }).click();
  const secret = await page.locator('.secret-once code').textContent({ timeout: 5000 });
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  const card = page.locator('.connection-card', { hasText: 'Airbnb bridge' });
  await card.waitFor({ timeout: 5000 });

  await card.getByRole('button', { name: /Send test event/ }).click();
  await card.locator('.deliveries td', { hasText: '200' }).waitFor({ timeout: 5000 });
  assert.equal(received.at(-1).body.type, 'connection.test');
  assert.ok(received.at(-1).headers['webhook-signature'].startsWith('v1,'));
  await screenshot(page, 'connections');

  // The manager answers a guest: the reply gets its tick once the bridge accepts it.
  const delivered = await server.ingest(guestMessage({ name: 'Tick Tina', body: 'Is breakfast included?' }));
  const agent = await server.createAgent('Olga Agent');
  await server.api('POST', `/tickets/${delivered.ticket_id}/assign`, { agent_id: String(agent.agent.id) }, { token: await server.managerToken() });
  await page.goto(`${server.url}/#/tickets/${delivered.ticket_id}`);
  await page.getByRole('heading', { name: 'Tick Tina' }).waitFor({ timeout: 5000 });
  await page.getByLabel('Reply', { exact: true }).fill('Yes, it is!');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('.message.outbound [data-delivery="sent"]').waitFor({ timeout: 5000 });
  await screenshot(page, 'reply-sent');

  // The bridge refuses the next one for good: the reason shows, and Retry sends it again.
  answer = 410;
  await page.getByLabel('Reply', { exact: true }).fill('One more thing.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  const failed = page.locator('.message.outbound', { hasText: 'One more thing.' }).locator('[data-delivery="failed"]');
  await failed.waitFor({ timeout: 5000 });
  assert.match(await failed.textContent(), /410/);
  await screenshot(page, 'reply-failed');
  answer = 200;
  await failed.getByRole('button', { name: 'Retry' }).click();
  await page.locator('.message.outbound', { hasText: 'One more thing.' }).locator('[data-delivery="sent"]').waitFor({ timeout: 5000 });
  await page.close();
});
