// Logging in: a wrong password shows the server's message; a manager lands on the wallboard,
// an agent on the inbox; the session survives a reload; logging out returns to the form.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('login');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a wrong password shows the server’s message and no session', async () => {
  const page = await browser.newPage();
  await loginThroughForm(page, server, server.manager.email, 'not-the-password');
  const message = page.locator('.form-message.error');
  await message.waitFor({ timeout: 5000 });
  assert.ok((await message.textContent()).trim().length > 0, 'an error message is shown');
  assert.match(page.url(), /#\/login$/);
  await screenshot(page, 'login-error');
  await page.close();
});

test('the manager logs in and lands on the wallboard; reload keeps the session; logout ends it', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await loginThroughForm(page, server, server.manager.email, server.manager.password);
  await page.waitForURL(/#\/wallboard$/, { timeout: 5000 });
  await page.getByRole('heading', { name: 'Wallboard' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agents' }).waitFor();
  await screenshot(page, 'manager-landing');

  await page.reload();
  await page.getByRole('heading', { name: 'Wallboard' }).waitFor({ timeout: 5000 });

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to Switchboard' }).waitFor({ timeout: 5000 });
  const me = await page.evaluate(() => fetch('/api/v1/me', { credentials: 'same-origin' }).then((r) => r.status));
  assert.equal(me, 401, 'the cookie session is gone after logout');
  await page.close();
});

test('an agent logs in and lands on the inbox, also on a phone-sized screen', async () => {
  const { email, password } = await server.createAgent('Lena Login');
  const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
  await loginThroughForm(page, server, email, password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.getByRole('tablist', { name: 'Inbox views' }).waitFor();
  await page.getByRole('button', { name: 'Start timer' }).waitFor();
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  const nav = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
  assert.ok(!nav.includes('Wallboard'), 'agents do not see manager pages');
  // Managers' pages send an agent back to the inbox.
  await page.goto(`${server.url}/#/wallboard`);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `no horizontal scrolling at phone width (page is ${width}px wide)`);
  await screenshot(page, 'agent-inbox-phone');
  await page.close();
});
