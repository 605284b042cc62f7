// To-dos in the browser (issue 14): an agent adds a refund to-do on the open ticket; it shows
// in the ticket's to-do list and the ticket appears in the inbox's Refunds tab, with a count.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('todos');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a refund to-do added on a ticket puts it in the Refunds tab', async () => {
  const ana = await server.createAgent('Ana Reis');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await loginThroughForm(page, server, ana.email, ana.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });

  const { ticket_id: ticketId } = await server.ingest(guestMessage({ name: 'Clara Guest', body: 'The hot water never worked.' }));
  const row = page.locator('.ticket-row', { hasText: 'Clara Guest' });
  await row.waitFor({ timeout: 5000 });
  await row.getByRole('link').click();
  await page.getByText('The hot water never worked.').waitFor({ timeout: 5000 });

  await page.getByRole('textbox', { name: 'To-do' }).fill('Refund one night');
  await page.getByRole('combobox', { name: 'Kind' }).selectOption('refund');
  await page.getByRole('button', { name: 'Add to-do' }).click();
  const todo = page.locator('.todo', { hasText: 'Refund one night' });
  await todo.waitFor({ timeout: 5000 });
  assert.equal(await todo.getAttribute('data-kind'), 'refund');
  await page.getByRole('combobox', { name: 'Guest mood' }).selectOption('2');
  await page.getByText('Mood saved.').waitFor({ timeout: 5000 });
  await screenshot(page, 'ticket-todos');

  await page.goto(`${server.url}/#/inbox/unanswered`);
  const tab = page.getByRole('tab', { name: /Refunds/ });
  await tab.locator('.tab-count[data-count="1"]').waitFor({ timeout: 5000 });
  await tab.click();
  await page.waitForURL(/#\/inbox\/waiting_refunds$/, { timeout: 5000 });
  await page.locator('.ticket-row', { hasText: 'Clara Guest' }).waitFor({ timeout: 5000 });
  // The list is drawn again when the ticket's frames arrive (the mood just set), so its rows
  // are counted in the page, at a moment it shows some.
  const rows = await page.waitForFunction(() => document.querySelectorAll('.ticket-row').length || false, null, { timeout: 5000 });
  assert.equal(await rows.jsonValue(), 1);
  await screenshot(page, 'inbox-refunds-tab');

  const stored = await server.api('GET', `/tickets/${ticketId}/todos`, undefined, { token: await server.managerToken() });
  assert.equal(stored.items.length, 1);
  assert.equal(stored.items[0].kind, 'refund');
  const ticket = await server.api('GET', `/tickets/${ticketId}`, undefined, { token: await server.managerToken() });
  assert.equal(ticket.mood, 2);
  await page.close();
});
