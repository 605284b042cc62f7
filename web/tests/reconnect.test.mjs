// The live connection survives the server going away: the inbox shows it is reconnecting,
// comes back by itself (backoff), shows what the database says, and keeps receiving new
// tickets without a reload (SPEC §6, §8).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('reconnect');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('after a server crash the inbox reconnects by itself and stays live', async () => {
  const { email, password } = await server.createAgent('Nora Night');
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await loginThroughForm(page, server, email, password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });

  await server.ingest(guestMessage({ name: 'Before Crash', body: 'First question' }));
  await page.locator('.ticket-row', { hasText: 'Before Crash' }).waitFor({ timeout: 3000 });

  await server.restart('SIGKILL');
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 15_000 });
  await screenshot(page, 'reconnected');

  // The ticket the database holds is still there, and new work arrives live.
  await page.locator('.ticket-row', { hasText: 'Before Crash' }).waitFor({ timeout: 3000 });
  await server.ingest(guestMessage({ name: 'After Crash', body: 'Second question' }));
  await page.locator('.ticket-row', { hasText: 'After Crash' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('.ticket-row', { hasText: 'Before Crash' }).count(), 1, 'no duplicate rows');
  assert.equal(await page.title(), '(2) Switchboard');
  await page.close();
});
