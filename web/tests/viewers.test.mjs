// Two people on one ticket: each sees who else is there ("Ana Agent is viewing", "Manager is
// replying…"), live, and the notice goes when the other leaves the page or closes the tab.
// The inbox's "Latest activity" order puts a ticket a guest just wrote on at the top, live.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('viewers');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A signed-in page (its own browser context) whose socket is live. */
async function signedIn(email, password) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await loginThroughForm(page, server, email, password);
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  return page;
}

async function openTicket(page, id, guest) {
  await page.goto(`${server.url}/#/tickets/${id}`);
  await page.getByRole('heading', { name: guest }).waitFor({ timeout: 5000 });
}

test('two people on one ticket see each other, replying included, until one leaves', async () => {
  const ticket = await server.ingest(guestMessage({ name: 'Clara Guest', body: 'Can I bring my dog?' }));
  const ana = await server.createAgent('Ana Agent');
  const agentPage = await signedIn(ana.email, ana.password);
  const managerPage = await signedIn(server.manager.email, server.manager.password);

  await openTicket(agentPage, ticket.ticket_id, 'Clara Guest');
  assert.equal(await agentPage.locator('#ticket-viewers').isHidden(), true, 'alone: no notice');
  await openTicket(managerPage, ticket.ticket_id, 'Clara Guest');
  await agentPage.locator('#ticket-viewers', { hasText: 'Manager is viewing' }).waitFor({ timeout: 5000 });
  await managerPage.locator('#ticket-viewers', { hasText: 'Ana Agent is viewing' }).waitFor({ timeout: 5000 });
  assert.doesNotMatch(await managerPage.locator('#ticket-viewers').innerText(), /Manager/, 'never themselves');

  await managerPage.getByLabel('Reply', { exact: true }).fill('Yes, dogs are welcome.');
  await agentPage.locator('#ticket-viewers', { hasText: 'Manager is replying…' }).waitFor({ timeout: 5000 });
  await screenshot(agentPage, 'ticket-collision-notice');

  // Leaving the page.
  await managerPage.getByRole('link', { name: '← Inbox' }).click();
  await agentPage.locator('#ticket-viewers').waitFor({ state: 'hidden', timeout: 5000 });
  // Coming back, then closing the tab.
  await openTicket(managerPage, ticket.ticket_id, 'Clara Guest');
  await agentPage.locator('#ticket-viewers', { hasText: 'Manager is viewing' }).waitFor({ timeout: 5000 });
  await managerPage.close();
  await agentPage.locator('#ticket-viewers').waitFor({ state: 'hidden', timeout: 5000 });
  await agentPage.close();
});

test('under "Latest activity" a guest writing again moves the ticket to the top, live', async () => {
  const rui = await server.createAgent('Rui Agent');
  const page = await signedIn(rui.email, rui.password);
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  const first = guestMessage({ name: 'Ines First', body: 'Is there a cot?' });
  for (const message of [first, guestMessage({ name: 'Jon Second' }), guestMessage({ name: 'Kim Third' })]) {
    await server.ingest(message);
  }
  await page.getByRole('tab', { name: 'My tickets' }).click();
  await page.getByLabel('Sort').selectOption('activity');
  // (The first test's queued ticket comes to Rui too, when his timer starts.)
  const ours = new Set(['Ines First', 'Jon Second', 'Kim Third']);
  const names = async () => (await page.locator('.ticket-row .guest-name').allInnerTexts()).filter((n) => ours.has(n));
  await page.waitForFunction(() => document.querySelectorAll('.ticket-row').length >= 3, null, { timeout: 5000 });
  assert.deepEqual(await names(), ['Kim Third', 'Jon Second', 'Ines First']);

  await server.ingest({ ...first, message_external_id: `${first.message_external_id}-2`, body: 'And a high chair, please.', sent_at: new Date().toISOString() });
  await page.waitForFunction(() => document.querySelector('.ticket-row .guest-name')?.textContent === 'Ines First', null, { timeout: 5000 });
  assert.deepEqual(await names(), ['Ines First', 'Kim Third', 'Jon Second']);
  await screenshot(page, 'inbox-latest-activity');
  await page.evaluate(() => fetch('/api/v1/me/timer/stop', { method: 'POST', credentials: 'same-origin' }));
  await page.close();
});
