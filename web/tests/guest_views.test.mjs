// The guest views in the browser (issue 14): an agent works the Overbooking tab (two stays of
// one flat share nights; the ticket page flags it and its mini calendar marks both) and the
// Follow-ups tab (the agent parks a ticket a few seconds ahead; it leaves Unanswered, waits
// in Follow-ups, and comes back to Unanswered by itself).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('guest-views');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const day = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const stay = (ref, checkIn, nights) => ({
  external_id: ref,
  status: 'confirmed',
  listing_external_id: 'lst-dunes',
  listing_name: 'Dune House',
  check_in: day(checkIn),
  check_out: day(checkIn + nights),
});

test('an agent works the overbooking and follow-up tabs', async (t) => {
  const creds = await server.createAgent('Olga Overbook');
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  t.after(async () => {
    await page.evaluate(() => fetch('/api/v1/me/timer/stop', { method: 'POST', credentials: 'same-origin' }));
    await page.close();
  });
  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });

  // Two channels sold the same nights of Dune House.
  await server.ingest(guestMessage({ name: 'Dora Dunes', body: 'What time is check-in?', reservation: stay('DUNE-1', 20, 4) }));
  await server.ingest(guestMessage({ name: 'Emil Dunes', channel: 'booking', body: 'Is there parking?', reservation: stay('DUNE-2', 22, 3) }));
  const dora = page.locator('.ticket-row', { hasText: 'Dora Dunes' });
  await dora.waitFor({ timeout: 5000 });

  const overTab = page.getByRole('tab', { name: /Overbooking/ });
  await overTab.locator('.tab-count[data-count="2"]').waitFor({ timeout: 5000 });
  await overTab.click();
  await page.waitForURL(/#\/inbox\/overbooking$/, { timeout: 5000 });
  await page.locator('.ticket-row', { hasText: 'Emil Dunes' }).waitFor({ timeout: 5000 });
  await page.locator('.ticket-row', { hasText: 'Dora Dunes' }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('.ticket-row').count(), 2);
  await screenshot(page, 'inbox-overbooking-tab');

  await page.locator('.ticket-row', { hasText: 'Dora Dunes' }).getByRole('link').click();
  await page.getByRole('heading', { name: 'Dora Dunes' }).waitFor({ timeout: 5000 });
  await page.locator('.overbooking-flag', { hasText: '#DUNE-2' }).waitFor({ timeout: 5000 });
  const stays = page.locator('.mini-calendar .stay');
  await page.locator('.mini-calendar .stay.is-overlap').nth(1).waitFor({ timeout: 5000 });
  assert.equal(await stays.count(), 2);
  assert.equal(await page.locator('.mini-calendar .stay.is-this').count(), 1);
  // The guest panel: Dora has written once, on Airbnb.
  await page.locator('.guest-panel', { hasText: 'Other conversations' }).waitFor({ timeout: 5000 });
  assert.match(await page.locator('.guest-panel').innerText(), /Airbnb/);
  await screenshot(page, 'ticket-overbooking-calendar');

  // Park it a few seconds ahead: it leaves Unanswered and waits in Follow-ups.
  const soon = new Date(Date.now() + 5000);
  const local = new Date(soon.getTime() - soon.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  await page.getByLabel('Follow up at').fill(local);
  await page.getByLabel('Follow-up note').fill('Confirm which flat Dora gets');
  await page.getByRole('button', { name: 'Set follow-up' }).click();
  await page.locator('.follow-up-state', { hasText: 'Parked until' }).waitFor({ timeout: 5000 });

  await page.goto(`${server.url}/#/inbox/follow_ups`);
  await page.locator('.ticket-row', { hasText: 'Dora Dunes' }).waitFor({ timeout: 3000 });
  await screenshot(page, 'inbox-follow-ups-tab');
  await page.goto(`${server.url}/#/inbox/unanswered`);
  await page.getByRole('tab', { name: /Unanswered/, selected: true }).waitFor({ timeout: 5000 });
  // Back at its time, by itself (the sweeper looks once a second).
  await page.locator('.ticket-row', { hasText: 'Dora Dunes' }).waitFor({ timeout: 10_000 });
  await page.goto(`${server.url}/#/inbox/follow_ups`);
  await page.getByText('No tickets wait for a follow-up.').waitFor({ timeout: 5000 });
});
