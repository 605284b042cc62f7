// Internal notes in the browser: an agent adds one to the open conversation; it shows there as
// an internal note (not a message to the guest), reaches a manager's open ticket live, and the
// teammate it @mentions gets a badge that leads to the ticket.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('notes');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(email, password, landing) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  await loginThroughForm(page, server, email, password);
  await page.waitForURL(landing, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  return page;
}

test('a note shows in the conversation as internal, live for the manager, and pings the teammate it mentions', async () => {
  const ana = await server.createAgent('Ana Reis');
  const bruno = await server.createAgent('Bruno Lima');
  const anaPage = await signedIn(ana.email, ana.password, /#\/inbox$/);
  await anaPage.getByRole('button', { name: 'Start timer' }).click();
  await anaPage.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  const brunoPage = await signedIn(bruno.email, bruno.password, /#\/inbox$/);
  const managerPage = await signedIn(server.manager.email, server.manager.password, /#\/wallboard$/);

  const { ticket_id: ticketId } = await server.ingest(guestMessage({ name: 'Clara Guest', body: 'Can we bring our dog?' }));
  const row = anaPage.locator('.ticket-row', { hasText: 'Clara Guest' });
  await row.waitFor({ timeout: 3000 });
  await row.getByRole('link').click();
  await anaPage.getByText('Can we bring our dog?').waitFor({ timeout: 5000 });
  await managerPage.goto(`${server.url}/#/tickets/${ticketId}`);
  await managerPage.getByText('Can we bring our dog?').waitFor({ timeout: 5000 });

  await anaPage.getByRole('textbox', { name: 'Internal note' }).fill('@Bruno can you ask the owner about pets?');
  await anaPage.getByRole('button', { name: 'Add internal note' }).click();
  const note = anaPage.locator('.message.note', { hasText: 'can you ask the owner about pets?' });
  await note.waitFor({ timeout: 5000 });
  assert.match(await note.locator('.message-meta').innerText(), /Internal note · You/);
  assert.equal(await note.locator('.mention').innerText(), '@Bruno');
  assert.equal(await anaPage.locator('.message.outbound').count(), 0, 'nothing was sent to the guest');
  await screenshot(anaPage, 'ticket-internal-note');

  // The manager looking at the ticket sees it arrive, drawn as a note by its author.
  const live = managerPage.locator('.message.note', { hasText: 'ask the owner about pets' });
  await live.waitFor({ timeout: 5000 });
  assert.match(await live.locator('.message-meta').innerText(), /Internal note · Ana Reis/);

  // Bruno is pinged: a badge that leads to the ticket, gone once he has looked.
  const badge = brunoPage.locator('#mention-badge');
  await badge.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await badge.innerText(), '@ 1');
  await badge.click();
  await brunoPage.locator('.message.note', { hasText: 'ask the owner about pets' }).waitFor({ timeout: 5000 });
  await badge.waitFor({ state: 'hidden', timeout: 5000 });

  const stored = await server.api('GET', `/tickets/${ticketId}`, undefined, { token: await server.managerToken() });
  assert.equal(stored.notes.length, 1);
  assert.equal(stored.messages.length, 1);
  await Promise.all([anaPage.close(), brunoPage.close(), managerPage.close()]);
});
