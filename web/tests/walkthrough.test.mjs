// What a user walk-through found wrong (issue 15), each as the user meets it: a done ticket
// that still counted a wait, a reply box that pretended a queued or someone else's ticket
// could be answered, lists that hid who has a ticket, a search that missed "Zoë" and "#id",
// an unbounded at-risk list with an SLA tile blind to the backlog, pages that opened
// mid-scroll, an inbox that forgot "Load more", and a stale "Saved." in Settings.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('walkthrough');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signedIn(creds, landing, viewport = { width: 1280, height: 860 }) {
  const page = await browser.newPage({ viewport });
  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(landing, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  return page;
}

const managerPage = (viewport) => signedIn(server.manager, /#\/wallboard$/, viewport);

/** Stops the agent's timer (so later tickets stay queued) and closes the page. */
async function leave(page) {
  await page.evaluate(() => fetch('/api/v1/me/timer/stop', { method: 'POST', credentials: 'same-origin' }));
  await page.close();
}

const minutesAgo = (n) => new Date(Date.now() - n * 60_000).toISOString();

test('a queued or someone else’s ticket opens read-only and says who has it; the manager’s list names the agent', async (t) => {
  const bea = await server.createAgent('Bea Reader');
  const rui = await server.createAgent('Rui Costa');
  const delivered = await server.ingest(guestMessage({ name: 'Quinn Queue', body: 'Is anyone there?' }));
  const page = await signedIn(bea, /#\/inbox$/);
  t.after(() => page.close());

  await page.goto(`${server.url}/#/tickets/${delivered.ticket_id}`);
  await page.getByRole('heading', { name: 'Quinn Queue' }).waitFor({ timeout: 5000 });
  await page.locator('#ticket-holder', { hasText: 'In the queue' }).waitFor();
  await page.locator('.access', { hasText: 'waits in the queue' }).waitFor();
  assert.ok(await page.getByLabel('Reply', { exact: true }).isDisabled(), 'nothing to type into');
  assert.ok(await page.getByRole('button', { name: 'Send reply' }).isDisabled());
  await screenshot(page, 'walkthrough-queued-read-only');

  await server.api('POST', `/tickets/${delivered.ticket_id}/assign`, { agent_id: String(rui.agent.id) }, { token: await server.managerToken() });
  await page.reload();
  await page.locator('#ticket-holder', { hasText: 'Assigned to Rui Costa' }).waitFor({ timeout: 5000 });
  await page.locator('.access', { hasText: 'Rui Costa has this ticket' }).waitFor();
  assert.ok(await page.getByRole('button', { name: 'Done' }).isDisabled());

  const manager = await managerPage();
  t.after(() => manager.close());
  await manager.goto(`${server.url}/#/inbox/all`);
  const row = manager.locator('.ticket-row', { hasText: 'Quinn Queue' });
  await row.locator('.ticket-meta', { hasText: 'Rui Costa' }).waitFor({ timeout: 5000 });
  await row.getByRole('link').click();
  await manager.locator('#ticket-holder', { hasText: 'Assigned to Rui Costa' }).waitFor({ timeout: 5000 });
  assert.ok(await manager.getByRole('button', { name: 'Send reply' }).isEnabled(), 'a manager may answer any ticket');
});

test('a done ticket stops counting its wait; a pending one leaves Unanswered', async (t) => {
  const creds = await server.createAgent('Dora Done');
  const page = await signedIn(creds, /#\/inbox$/);
  t.after(() => leave(page));
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  const token = await server.login(creds.email, creds.password);

  const finished = await server.ingest(guestMessage({ name: 'Fin Closed', body: 'Thanks, all good now.' }));
  const parked = await server.ingest(guestMessage({ name: 'Pat Parked', body: 'Can I get a refund?' }));
  const parkedRow = page.locator('.ticket-row', { hasText: 'Pat Parked' });
  await parkedRow.waitFor({ timeout: 3000 });
  await server.api('POST', `/tickets/${parked.ticket_id}/pending`, { note: 'Refund above my limit' }, { token });
  await parkedRow.waitFor({ state: 'detached', timeout: 3000 });

  await server.api('POST', `/tickets/${finished.ticket_id}/done`, undefined, { token });
  await page.getByRole('tab', { name: 'Done' }).click();
  const row = page.locator('.ticket-row', { hasText: 'Fin Closed' });
  await row.waitFor({ timeout: 5000 });
  assert.equal(await row.locator('.pill-alert').count(), 0, 'no "Unanswered" on a done ticket');
  assert.match(await row.locator('.ticket-age').innerText(), /^Started/);
  await screenshot(page, 'walkthrough-done-tab');

  await row.getByRole('link').click();
  await page.getByRole('heading', { name: 'Fin Closed' }).waitFor({ timeout: 5000 });
  await page.locator('.access', { hasText: 'This ticket is done.' }).waitFor();
  assert.equal(await page.locator('.ticket-pills .pill-alert').count(), 0);
});

test('search folds accents and takes a reservation id as the list shows it', async (t) => {
  await server.ingest(guestMessage({ name: 'Zoë Duval', body: 'Bonjour !', reservation: { external_id: 'HMX245', status: 'inquiry', listing_external_id: 'lst-9', listing_name: 'Rue Verte' } }));
  await server.ingest(guestMessage({ name: 'Zed Other', body: 'Hi' }));
  const page = await managerPage();
  t.after(() => page.close());
  await page.goto(`${server.url}/#/inbox/all`);
  const rows = page.locator('.ticket-row');
  for (const q of ['zoe', '#HMX245']) {
    await Promise.all([page.waitForResponse((r) => r.url().includes('/api/v1/tickets?') && r.url().includes(`q=${encodeURIComponent(q)}`), { timeout: 5000 }), page.getByLabel('Search', { exact: true }).fill(q)]);
    await page.waitForFunction(() => document.querySelectorAll('.ticket-row').length === 1, null, { timeout: 5000 });
    assert.match(await rows.first().innerText(), /Zoë Duval/, `searching ${q}`);
  }
});

test('the wallboard shows the ten most urgent at-risk tickets and a service level that counts the backlog', async (t) => {
  const token = await server.managerToken();
  await server.api('PATCH', '/account', { response_sla_seconds: 60 }, { token });
  for (let n = 0; n < 12; n++) {
    await server.ingest({ ...guestMessage({ name: `Late Guest ${String(n).padStart(2, '0')}`, body: 'Hello?' }), sent_at: minutesAgo(30 - n) });
  }
  const page = await managerPage({ width: 1920, height: 1080 });
  t.after(() => page.close());
  await page.locator('#wb-risk-title', { hasText: /\(1[2-9]\)/ }).waitFor({ timeout: 5000 });
  assert.equal(await page.locator('.wb-risk .risk').count(), 10);
  // The oldest wait comes first.
  assert.match(await page.locator('.wb-risk .risk').first().innerText(), /Late Guest 00/);
  const sla = page.locator('#tile-sla');
  assert.equal(await sla.locator('.tile-label').textContent(), 'Service level');
  assert.equal(await sla.locator('[data-tile="sla"]').innerText(), '0%');
  assert.match(await sla.locator('.tile-sub').innerText(), /waiting past the SLA/);
  assert.ok(await sla.evaluate((el) => el.classList.contains('tone-bad')));
  assert.equal(await page.locator('#wb-fullscreen').innerText(), 'Full screen');
  await screenshot(page, 'walkthrough-wallboard-ten');

  await page.locator('#wb-risk-toggle').click();
  assert.ok((await page.locator('.wb-risk .risk').count()) >= 12);
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  assert.ok(await page.evaluate(() => window.scrollY > 0), 'the full list scrolls');
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.waitForURL(/#\/settings$/);
  await page.getByRole('button', { name: 'Save settings' }).waitFor({ timeout: 5000 });
  assert.equal(await page.evaluate(() => window.scrollY), 0, 'a new page opens at its top');

  // "Saved." never stands beside a later problem.
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('.form-message.ok', { hasText: 'Saved.' }).waitFor({ timeout: 5000 });
  await page.getByLabel('Response SLA (minutes)').fill('');
  await page.getByRole('button', { name: 'Save settings' }).click();
  assert.equal(await page.locator('.form-message.ok').count(), 0);
});

test('going back from a ticket keeps the list’s "Load more" progress and place', async (t) => {
  for (let n = 0; n < 60; n++) await server.ingest(guestMessage({ name: `Bulk Guest ${n}`, body: 'Hi' }));
  const page = await managerPage({ width: 1280, height: 800 });
  t.after(() => page.close());
  await page.goto(`${server.url}/#/inbox/all`);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.ticket-row').length > 50, null, { timeout: 5000 });
  const shown = await page.locator('.ticket-row').count();
  const last = page.locator('.ticket-row').last();
  await last.scrollIntoViewIfNeeded();
  const scrolled = await page.evaluate(() => window.scrollY);
  assert.ok(scrolled > 0);
  await last.getByRole('link').click();
  await page.waitForURL(/#\/tickets\//);
  await page.locator('.ticket-view h1').waitFor({ timeout: 5000 });
  await page.goBack();
  await page.waitForFunction((n) => document.querySelectorAll('.ticket-row').length >= n, shown, { timeout: 5000 });
  await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 5, scrolled, { timeout: 5000 });
  await screenshot(page, 'walkthrough-back-to-list');
});

test('times read in the account’s timezone, without a padded 12-hour clock', async (t) => {
  const token = await server.managerToken();
  await server.api('PATCH', '/account', { timezone: 'Asia/Tokyo' }, { token });
  t.after(() => server.api('PATCH', '/account', { timezone: 'UTC' }, { token }));
  const page = await managerPage();
  t.after(() => page.close());
  // 09:53 UTC is 18:53 in Tokyo; the browser's en-US locale writes it "6:53 PM".
  const shown = await page.evaluate(async () => (await import('/js/format.js')).fmtTime('2026-01-01T09:53:00Z'));
  assert.equal(shown, '6:53 PM');
});

test('at phone width the work bar stays compact, the tabs wrap and the agent’s name shows', async (t) => {
  const creds = await server.createAgent('Pia Phone');
  const page = await signedIn(creds, /#\/inbox$/, { width: 390, height: 844 });
  t.after(() => page.close());
  const bar = await page.locator('.workbar').boundingBox();
  assert.ok(bar.height <= 160, `the work bar takes ${bar.height} px`);
  assert.ok(await page.locator('#who').isVisible(), 'the signed-in name shows');
  assert.match(await page.locator('#who').innerText(), /Pia Phone/);
  // Both tab lists (the working tabs and the guest views) wrap.
  const overflow = await page.locator('.tabs').evaluateAll((els) => els.map((el) => el.scrollWidth - el.clientWidth));
  assert.deepEqual(overflow, [0, 0], 'every tab is in sight');
  await screenshot(page, 'walkthrough-phone');
});

test('keyboard shortcuts: j/k move, Enter opens, r replies, Ctrl+Enter sends, e is done, ? lists them', async (t) => {
  const creds = await server.createAgent('Kai Keys');
  const page = await signedIn(creds, /#\/inbox$/);
  t.after(() => leave(page));
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  await server.ingest(guestMessage({ name: 'Key Guest One', body: 'First?' }));
  await server.ingest(guestMessage({ name: 'Key Guest Two', body: 'Second?' }));
  await page.locator('.ticket-row', { hasText: 'Key Guest One' }).waitFor({ timeout: 3000 });
  await page.locator('.ticket-row', { hasText: 'Key Guest Two' }).waitFor({ timeout: 3000 });
  await page.locator('#inbox-title').focus();

  const focusedRow = () => page.evaluate(() => document.activeElement.closest('.ticket-row')?.querySelector('.guest-name')?.textContent);
  await page.keyboard.press('j');
  const first = await focusedRow();
  await page.keyboard.press('j');
  const second = await focusedRow();
  assert.notEqual(first, second);
  await page.keyboard.press('k');
  assert.equal(await focusedRow(), first);

  await page.keyboard.press('?');
  await page.locator('#shortcuts-help').getByText('Send the reply').waitFor();
  await screenshot(page, 'walkthrough-shortcuts');
  await page.keyboard.press('Escape');

  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: first }).waitFor({ timeout: 5000 });
  await page.locator('#ticket-state', { hasText: 'Opened' }).waitFor({ timeout: 5000 });
  await page.keyboard.press('r');
  await page.keyboard.type('On its way.');
  await page.keyboard.press('Control+Enter');
  await page.locator('.message.outbound', { hasText: 'On its way.' }).waitFor({ timeout: 5000 });
  await page.keyboard.press('Escape');
  await page.keyboard.press('e');
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
});

/** A stand-in for the browser's Notification that records what the page shows. */
function recordNotifications(page) {
  return page.addInitScript(() => {
    window.__shown = [];
    window.Notification = class {
      static permission = 'default';
      static async requestPermission() {
        window.Notification.permission = 'granted';
        return 'granted';
      }
      constructor(title, options) {
        window.__shown.push({ title, body: options && options.body });
      }
      close() {}
    };
  });
}

test('desktop notifications, once allowed, tell of a new ticket and of a guest’s reply on mine', async (t) => {
  const creds = await server.createAgent('Nina Notify');
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  t.after(() => leave(page));
  await recordNotifications(page);
  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  await page.getByLabel('Desktop notifications').check();

  // Earlier tests leave tickets queued: this one is given to Nina by the manager.
  const first = guestMessage({ name: 'Noa Ping', body: 'Hello there' });
  const delivered = await server.ingest(first);
  await server.api('POST', `/tickets/${delivered.ticket_id}/assign`, { agent_id: String(creds.agent.id) }, { token: await server.managerToken() });
  const about = () => window.__shown.filter((n) => n.title.includes('Noa Ping')).length;
  await page.waitForFunction(about, null, { timeout: 5000 });
  await server.ingest(guestMessage({ name: 'Noa Ping', thread: first.thread_external_id, body: 'Are you there?' }));
  await page.waitForFunction(() => window.__shown.filter((n) => n.title.includes('Noa Ping')).length === 2, null, { timeout: 5000 });
  const shown = await page.evaluate(() => window.__shown.filter((n) => n.title.includes('Noa Ping')));
  assert.deepEqual(shown, [
    { title: 'New ticket: Noa Ping', body: 'A guest is waiting for your reply.' },
    { title: 'Noa Ping replied', body: 'Are you there?' },
  ]);
});

test('a guest’s new message marks the ticket’s row until it is opened, and the row previews it', async (t) => {
  const creds = await server.createAgent('Max Marker');
  const page = await signedIn(creds, /#\/inbox$/);
  t.after(() => leave(page));
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  const first = guestMessage({ name: 'Mo Marked', body: 'Hi' });
  await server.ingest(first);
  const row = page.locator('.ticket-row', { hasText: 'Mo Marked' });
  await row.waitFor({ timeout: 3000 });
  await server.ingest(guestMessage({ name: 'Mo Marked', thread: first.thread_external_id, body: 'Hello again' }));
  await row.locator('.pill-new', { hasText: 'New message' }).waitFor({ timeout: 3000 });
  await row.locator('.ticket-preview', { hasText: 'Hello again' }).waitFor({ timeout: 3000 });
  await screenshot(page, 'walkthrough-new-message');
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: 'Mo Marked' }).waitFor({ timeout: 5000 });
  await page.goBack();
  await row.waitFor({ timeout: 5000 });
  assert.equal(await row.locator('.pill-new').count(), 0);
});

test('a manager resets an agent’s password in the agent dialog', async (t) => {
  const creds = await server.createAgent('Fay Forgot');
  const page = await managerPage();
  t.after(() => page.close());
  await page.goto(`${server.url}/#/agents`);
  await page.getByRole('button', { name: 'Edit Fay Forgot' }).click();
  await page.getByLabel('New password').fill('fresh-password-9');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.locator('.toast', { hasText: 'Fay Forgot was saved with the new password.' }).waitFor({ timeout: 5000 });
  assert.ok(await server.login(creds.email, 'fresh-password-9'));
  await assert.rejects(server.login(creds.email, creds.password), /401/);
});

test('the ticket page says why the ticket came and logs what happened, by whom', async (t) => {
  const creds = await server.createAgent('Lou Logged');
  const page = await signedIn(creds, /#\/inbox$/);
  t.after(() => leave(page));
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  await server.ingest(guestMessage({ name: 'Lia Logbook', body: 'Where are the keys?' }));
  const row = page.locator('.ticket-row', { hasText: 'Lia Logbook' });
  await row.waitFor({ timeout: 3000 });
  await row.getByRole('link').click();
  await page.locator('#ticket-holder', { hasText: 'Assigned to you · new ticket' }).waitFor({ timeout: 5000 });
  const log = page.locator('#ticket-activity');
  await log.getByText('Assigned to Lou Logged (new ticket)').waitFor({ timeout: 5000 });
  await log.getByText('Lou Logged opened it').waitFor({ timeout: 5000 });
  await page.getByLabel('Reply', { exact: true }).fill('In the box by the door.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await log.getByText('Lou Logged replied').waitFor({ timeout: 5000 });
  await screenshot(page, 'walkthrough-activity');
});

test('the reports agent table keeps each row on one line and scrolls by keyboard', async (t) => {
  // Someone with figures this month, so the table has a row.
  const creds = await server.createAgent('Rex Reports');
  const delivered = await server.ingest(guestMessage({ name: 'Rita Report', body: 'Hi' }));
  await server.api('POST', `/tickets/${delivered.ticket_id}/assign`, { agent_id: String(creds.agent.id) }, { token: await server.managerToken() });
  await server.api('POST', `/tickets/${delivered.ticket_id}/reply`, { body: 'Hello!' }, { token: await server.login(creds.email, creds.password) });
  const page = await managerPage({ width: 1024, height: 800 });
  t.after(() => page.close());
  await page.goto(`${server.url}/#/reports`);
  const area = page.locator('.table-wrap:has(.report-table)');
  await area.waitFor({ timeout: 5000 });
  assert.equal(await area.getAttribute('tabindex'), '0');
  const heights = await area.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getBoundingClientRect().height));
  const line = await area.locator('tbody tr th').first().evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 24);
  assert.ok(heights.every((h) => h < line * 2 + 16), `row heights ${heights} for a ${line} px line`);
  await area.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  // The browser may scroll smoothly: wait for it rather than read the position at once.
  await page.waitForFunction(() => {
    const el = document.querySelector('.table-wrap:has(.report-table)');
    return el.scrollLeft > 0 || el.scrollWidth <= el.clientWidth;
  }, null, { timeout: 3000 }).catch(() => assert.fail('the keyboard scrolls the table'));
});
