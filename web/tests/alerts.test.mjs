// Alerts on the wallboard: a guest left waiting raises alerts that appear live, and the
// manager acknowledges one; it stays acknowledged after a reload.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('alerts');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('alerts appear live on the wallboard and the manager acknowledges one', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  await loginThroughForm(page, server, server.manager.email, server.manager.password);
  await page.waitForURL(/#\/wallboard$/, { timeout: 5000 });
  await page.getByText('No open alerts.').waitFor({ timeout: 5000 });
  await server.api('PATCH', '/account', { response_sla_seconds: 2 }, { token: await server.managerToken() });

  // Nobody works: the ticket waits in the queue and the guest past the SLA.
  await server.ingest(guestMessage({ name: 'Waiting Wanda' }));
  const rows = page.locator('.wb-alerts li');
  await page.waitForFunction(() => document.querySelectorAll('.wb-alerts li').length === 3, null, { timeout: 8000 });
  await page.locator('.wb-alerts', { hasText: 'SLA breached' }).waitFor({ timeout: 3000 });
  await screenshot(page, 'wallboard-alerts');

  await rows.first().getByRole('button', { name: 'Acknowledge' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.wb-alerts li').length === 2, null, { timeout: 5000 });
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('.wb-alerts li').length === 2, null, { timeout: 5000 });
  const all = await server.api('GET', '/alerts?state=all', undefined, { token: await server.managerToken() });
  assert.equal(all.items.filter((a) => a.acked_at).length, 1);
  await page.close();
});
