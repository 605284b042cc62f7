// The rest of issue 14 in the browser: an agent narrows the All tab with the CRM's filters
// (reservation status, price) and works from "My to-dos" (overdue ones red, each a
// link to its ticket).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('crm');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const day = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const stay = (ref, status, price, listing) => ({
  external_id: ref,
  status,
  listing_external_id: listing,
  listing_name: listing === 'lst-sea' ? 'Sea View' : 'Old Town',
  check_in: day(10),
  check_out: day(13),
  total_price: price,
  currency: 'EUR',
});

test('an agent filters the All tab by reservation status and price', async (t) => {
  const creds = await server.createAgent('Fiona Filter');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  t.after(() => page.close());
  await server.ingest(guestMessage({ name: 'Gil Sea', reservation: stay('SEA-1', 'confirmed', 900, 'lst-sea') }));
  await server.ingest(guestMessage({ name: 'Hana Sea', reservation: stay('SEA-2', 'inquiry', 400, 'lst-sea') }));
  await server.ingest(guestMessage({ name: 'Ivo Town', reservation: stay('TOWN-1', 'confirmed', 950, 'lst-town') }));
  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.getByRole('tab', { name: /^All/ }).click();
  await page.waitForURL(/#\/inbox\/all$/, { timeout: 5000 });
  const rows = page.locator('.ticket-row');
  await page.locator('.ticket-row', { hasText: 'Ivo Town' }).waitFor({ timeout: 5000 });
  assert.equal(await rows.count(), 3);

  await page.locator('summary', { hasText: 'Filters' }).click();
  await page.getByLabel('Reservation', { exact: true }).selectOption('confirmed');
  await page.locator('.ticket-row', { hasText: 'Hana Sea' }).waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await rows.count(), 2);
  await page.getByLabel('Price to').fill('920');
  await page.getByLabel('Price to').press('Tab');
  await page.locator('.ticket-row', { hasText: 'Ivo Town' }).waitFor({ state: 'detached', timeout: 5000 });
  assert.deepEqual(await page.locator('.ticket-row strong').allTextContents(), ['Gil Sea']);
  await screenshot(page, 'inbox-all-crm-filters');

  // Clearing brings every ticket back.
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await page.locator('.ticket-row', { hasText: 'Hana Sea' }).waitFor({ timeout: 5000 });
  assert.equal(await rows.count(), 3);
});

test('an agent works from My to-dos: overdue first and red, each linking to its ticket', async (t) => {
  const creds = await server.createAgent('Mira Todo');
  const token = await server.login(creds.email, creds.password);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  t.after(async () => {
    await server.api('POST', '/me/timer/stop', undefined, { token });
    await page.close();
  });
  await server.api('POST', '/me/timer/start', undefined, { token });
  const { ticket_id: late } = await server.ingest(guestMessage({ name: 'Kai Late', body: 'Where is my refund?' }));
  const { ticket_id: calm } = await server.ingest(guestMessage({ name: 'Lia Calm', body: 'Can we bring a dog?' }));
  const hour = 3_600_000;
  await server.api('POST', `/tickets/${late}/todos`, { title: 'Refund the deposit', kind: 'refund', due_at: new Date(Date.now() - hour).toISOString() }, { token });
  await server.api('POST', `/tickets/${calm}/todos`, { title: 'Ask the owner about dogs', kind: 'task', due_at: new Date(Date.now() + 24 * hour).toISOString() }, { token });

  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'My to-dos' }).click();
  await page.getByRole('heading', { name: 'My to-dos' }).waitFor({ timeout: 5000 });
  const todos = page.locator('.my-todo');
  await todos.nth(1).waitFor({ timeout: 5000 });
  assert.deepEqual(await page.locator('.my-todo .todo-title').allTextContents(), ['Refund the deposit', 'Ask the owner about dogs']);
  const overdue = page.locator('.my-todo.is-overdue');
  assert.equal(await overdue.count(), 1);
  assert.match(await overdue.innerText(), /Refund the deposit/);
  assert.equal(await overdue.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(254, 243, 242)');

  // A to-do added on a ticket meanwhile shows without reloading.
  await server.api('POST', `/tickets/${calm}/todos`, { title: 'Send the house rules', kind: 'task' }, { token });
  await page.locator('.my-todo', { hasText: 'Send the house rules' }).waitFor({ timeout: 5000 });
  await screenshot(page, 'my-todos');

  await page.getByRole('link', { name: 'Refund the deposit' }).click();
  await page.getByText('Where is my refund?').waitFor({ timeout: 5000 });
  assert.match(page.url(), new RegExp(`#/tickets/${late}$`));
});

test('a payment changing through the reservation feed updates the Awaiting payment count live', async (t) => {
  const creds = await server.createAgent('Paula Payment');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  t.after(() => page.close());
  const booked = (ref, payment) => ({ ...stay(ref, 'confirmed', 500, 'lst-sea'), payment_status: payment });
  await server.ingest(guestMessage({ name: 'Quinn Unpaid', reservation: booked('PAY-1', 'pending') }));
  await server.ingest(guestMessage({ name: 'Rosa Paid', reservation: booked('PAY-2', 'paid') }));
  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  const count = page.getByRole('tab', { name: /Awaiting payment/ }).locator('.tab-count');
  await page.getByRole('tab', { name: /Awaiting payment/ }).locator('.tab-count[data-count="1"]').waitFor({ timeout: 5000 });

  // Quinn pays and Rosa's payment is reversed to partial: no ticket changes, only reservations.
  const feed = (ref, payment) => server.api('POST', '/ingest/reservations', { channel: 'airbnb', external_id: ref, status: 'confirmed', listing_external_id: 'lst-sea', payment_status: payment }, { bearer: server.apiKey });
  await feed('PAY-1', 'paid');
  await page.getByRole('tab', { name: /Awaiting payment/ }).locator('.tab-count[data-count=""]').waitFor({ state: 'attached', timeout: 5000 });
  await feed('PAY-2', 'partial');
  await page.getByRole('tab', { name: /Awaiting payment/ }).locator('.tab-count[data-count="1"]').waitFor({ timeout: 5000 });
  assert.equal(await count.textContent(), '1');
  await screenshot(page, 'inbox-live-counts');
});
