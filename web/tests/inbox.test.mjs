// The agent's day: log in, start the timer, a guest message ingested through the API shows up
// in the inbox live, the agent opens it, replies with a template in the guest's language and
// marks it done. A ticket the manager moves away disappears with a notice. Live tickets move
// between tabs by the `views` the server gives them, a filtered list is fetched again from the
// server when a live event touches it, and templates are filled in by the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;

before(async () => {
  server = await startServer('inbox');
  browser = await launchBrowser();
  await server.api(
    'POST',
    '/templates',
    {
      name: 'Welcome',
      variants: [
        { language: 'en', body: 'Hi {{guest_name}}, thanks for your message about {{listing}}. Best, {{agent_name}}' },
        { language: 'pt', body: 'Olá {{guest_name}}, obrigado pela mensagem sobre {{listing}}. {{agent_name}}' },
      ],
    },
    { token: await server.managerToken() },
  );
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Logs an agent in through the form, starts the timer, and waits until the socket is live.
 * When test `t` ends, pass or fail, the timer stops and the page closes, so later tests'
 * tickets never go to this agent.
 */
async function agentAtWork(t, name, { viewport = { width: 1280, height: 860 }, prepare } = {}) {
  const creds = await server.createAgent(name);
  const page = await browser.newPage({ viewport });
  t.after(() => leave(page));
  if (prepare) await prepare(page);
  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  return { page, ...creds };
}

/** Stops the agent's timer (so later tests' tickets go elsewhere) and closes the page. */
async function leave(page) {
  // A page that never signed in has no timer to stop; the test's own failure says why.
  await page.evaluate(() => fetch('/api/v1/me/timer/stop', { method: 'POST', credentials: 'same-origin' })).catch(() => {});
  await page.close();
}

test('a new guest message appears live; the agent opens it, replies with a template and marks it done', async (t) => {
  const { page } = await agentAtWork(t, 'Olivia Agent');

  const started = Date.now();
  const delivered = await server.ingest(
    guestMessage({
      name: 'Maria Gomez',
      language: 'en',
      body: 'Hi! Can we check in early on Friday?',
      reservation: {
        external_id: 'HMX42',
        status: 'confirmed',
        listing_external_id: 'lst-1',
        listing_name: 'Sea View Loft',
        check_in: '2030-06-12',
        check_out: '2030-06-15',
        total_price: 480.5,
        currency: 'EUR',
      },
    }),
  );
  const row = page.locator('.ticket-row', { hasText: 'Maria Gomez' });
  await row.waitFor({ timeout: 3000 });
  const seenAfter = Date.now() - started;
  assert.ok(seenAfter < 3000, `the ticket appeared after ${seenAfter} ms`);
  await page.locator('#unread-badge', { hasText: '1' }).waitFor({ timeout: 2000 });
  assert.equal(await page.title(), '(1) Switchboard');
  await screenshot(page, 'inbox-new-ticket');

  await row.getByRole('link').click();
  await page.getByRole('heading', { name: 'Maria Gomez' }).waitFor({ timeout: 5000 });
  await page.getByText('Can we check in early on Friday?').waitFor();
  const panel = page.locator('.reservation-panel');
  await panel.getByText('Sea View Loft').waitFor();
  await panel.getByText('#HMX42').waitFor();
  // Looking at it opens it.
  await page.locator('#ticket-state', { hasText: 'Opened' }).waitFor({ timeout: 5000 });

  await page.getByLabel('Insert a template').selectOption({ label: 'Welcome' });
  const reply = page.getByLabel('Reply', { exact: true });
  await page.waitForFunction(() => document.querySelector('textarea[name="body"]').value.includes('Maria Gomez'), null, { timeout: 5000 });
  const text = await reply.inputValue();
  assert.match(text, /^Hi Maria Gomez, thanks for your message about Sea View Loft\. Best, Olivia Agent/);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await page.locator('.message.outbound', { hasText: 'Hi Maria Gomez' }).waitFor({ timeout: 5000 });
  assert.equal(await page.title(), 'Switchboard', 'nothing left unanswered after the reply');
  await screenshot(page, 'ticket-replied');

  await page.getByRole('button', { name: 'Done' }).click();
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  const ticket = await server.api('GET', `/tickets/${delivered.ticket_id}`, undefined, { token: await server.managerToken() });
  assert.equal(ticket.state, 'done');
  assert.equal(ticket.messages.filter((m) => m.direction === 'outbound').length, 1);
  await page.getByRole('tab', { name: /Done/ }).click();
  await page.locator('.ticket-row', { hasText: 'Maria Gomez' }).waitFor({ timeout: 5000 });
});

test('a follow-up message shows in the open conversation without reload', async (t) => {
  const { page } = await agentAtWork(t, 'Paulo Agent');
  const first = guestMessage({ name: 'João Silva', language: 'pt', body: 'Olá, a casa tem estacionamento?' });
  await server.ingest(first);
  const row = page.locator('.ticket-row', { hasText: 'João Silva' });
  await row.waitFor({ timeout: 3000 });
  await row.getByRole('link').click();
  await page.getByRole('heading', { name: 'João Silva' }).waitFor({ timeout: 5000 });
  await server.ingest(guestMessage({ name: 'João Silva', language: 'pt', thread: first.thread_external_id, body: 'E aceitam animais?' }));
  await page.locator('.message.inbound', { hasText: 'E aceitam animais?' }).waitFor({ timeout: 3000 });
  // The template picker offers the guest's language first.
  const group = await page.locator('#template-picker optgroup').first().getAttribute('label');
  assert.equal(group, 'In PT');
});

test('a ticket the manager moves to someone else disappears with a notice', async (t) => {
  const { page } = await agentAtWork(t, 'Rita Agent');
  const delivered = await server.ingest(guestMessage({ name: 'Karl Berg', language: 'de', body: 'Wo finde ich den Schlüssel?' }));
  await page.locator('.ticket-row', { hasText: 'Karl Berg' }).waitFor({ timeout: 3000 });
  const other = await server.createAgent('Sam Other');
  await server.api('POST', `/tickets/${delivered.ticket_id}/assign`, { agent_id: String(other.agent.id) }, { token: await server.managerToken() });
  await page.locator('#notices', { hasText: 'Ticket moved to another agent' }).waitFor({ timeout: 3000 });
  await page.locator('.ticket-row', { hasText: 'Karl Berg' }).waitFor({ state: 'detached', timeout: 3000 });
  assert.equal(await page.locator('#notices').getAttribute('aria-live'), 'polite');
  await screenshot(page, 'inbox-moved-away');
});

test('the inbox tabs work with the keyboard', async (t) => {
  const { page } = await agentAtWork(t, 'Kim Keys');
  await page.getByRole('tab', { name: /Unanswered/ }).focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForURL(/#\/inbox\/mine$/, { timeout: 3000 });
  await page.getByRole('tab', { name: 'My tickets', selected: true }).waitFor({ timeout: 3000 });
  await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute('role') === 'tab' && document.activeElement.getAttribute('aria-selected') === 'true');
  await page.keyboard.press('End');
  await page.waitForURL(/#\/inbox\/all$/, { timeout: 3000 });
  await page.getByRole('tab', { name: 'All', selected: true }).waitFor({ timeout: 3000 });
  await page.waitForFunction(() => document.activeElement && document.activeElement.getAttribute('aria-selected') === 'true');
  // The guest views are a second tab list beside the working tabs: Home and End stay within
  // the working tabs, and the guest views take one tab stop of their own.
  await page.keyboard.press('Tab');
  const inGuestViews = await page.evaluate(() => document.activeElement.closest('[role="tablist"]')?.getAttribute('aria-label'));
  assert.equal(inGuestViews, 'Guest views', 'Tab moves on to the guest views');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.closest('[role="tabpanel"], form') !== null);
  assert.ok(focused, 'Tab moves on from the tab lists into the page');
});

/**
 * Routes the page's socket through a proxy that turns every ticket's `unanswered` around and
 * hides `message.created` (as a frame type the page does not know, so `seq` stays whole): the
 * only true word left on which tab a ticket belongs in is its `views`.
 */
function onlyViewsTellTheTruth(page) {
  const flip = (t) => (t && typeof t === 'object' ? { ...t, unanswered: !t.unanswered } : t);
  return page.routeWebSocket(/\/api\/v1\/ws/, (ws) => {
    const upstream = ws.connectToServer();
    upstream.onMessage((raw) => {
      const f = JSON.parse(String(raw));
      if (f.type === 'snapshot') f.tickets = (f.tickets || []).map(flip);
      if (f.type === 'ticket.assigned' || f.type === 'ticket.updated') f.ticket = flip(f.ticket);
      if (f.type === 'message.created') f.type = 'message.hidden';
      ws.send(JSON.stringify(f));
    });
  });
}

test('a live ticket leaves and enters a tab by the views the server gives it', async (t) => {
  const { page, email, password } = await agentAtWork(t, 'Vera Views', { prepare: onlyViewsTellTheTruth });
  const token = await server.login(email, password);
  const first = guestMessage({ name: 'Ines Tab', language: 'pt', body: 'Há toalhas?' });
  const delivered = await server.ingest(first);
  const row = page.locator('.ticket-row', { hasText: 'Ines Tab' });
  await row.waitFor({ timeout: 3000 });

  // Replied to: the server's views drop `unanswered`, so it leaves the tab without a reload.
  await server.api('POST', `/tickets/${delivered.ticket_id}/reply`, { body: 'Sim, no armário.' }, { token });
  await row.waitFor({ state: 'detached', timeout: 3000 });
  assert.match(page.url(), /#\/inbox$/);

  // The guest writes again: it waits for a reply once more and comes back.
  await server.ingest(guestMessage({ name: 'Ines Tab', language: 'pt', thread: first.thread_external_id, body: 'E secador?' }));
  await row.waitFor({ timeout: 3000 });

  // Done: the views leave only Done and All.
  await server.api('POST', `/tickets/${delivered.ticket_id}/done`, undefined, { token });
  await row.waitFor({ state: 'detached', timeout: 3000 });
  await page.getByRole('tab', { name: 'All' }).click();
  await row.waitFor({ timeout: 3000 });
});

test('a filtered list is fetched again from the server when a live event touches it', async (t) => {
  const { page } = await agentAtWork(t, 'Fabio Filter');
  await page.getByText('Filters', { exact: true }).click();
  // The listing filter takes the listing's external id, which only the server can match.
  await Promise.all([
    page.waitForResponse((r) => r.url().includes('/api/v1/tickets?') && r.url().includes('listing=lst-harbour'), { timeout: 3000 }),
    page.getByLabel('Listing').fill('lst-harbour'),
  ]);
  const listRequests = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/v1/tickets?')) listRequests.push(new URL(r.url()));
  });

  const reservation = (listing, name) => ({ external_id: `R-${listing}`, status: 'confirmed', listing_external_id: listing, listing_name: name, check_in: '2030-08-01', check_out: '2030-08-04' });
  await server.ingest(guestMessage({ name: 'Otto Elsewhere', body: 'Parking?', reservation: reservation('lst-mill', 'Old Mill') }));
  await server.ingest(guestMessage({ name: 'Hanna Harbour', body: 'Late check-in?', reservation: reservation('lst-harbour', 'Harbour Flat') }));
  await page.locator('.ticket-row', { hasText: 'Hanna Harbour' }).waitFor({ timeout: 3000 });
  assert.equal(await page.locator('.ticket-row').count(), 1, 'only the ticket the server matched is listed');
  assert.ok(listRequests.length >= 1, 'the list was fetched again');
  assert.ok(listRequests.every((u) => u.searchParams.get('listing') === 'lst-harbour' && u.searchParams.get('view') === 'unanswered'));
});

test('a template is filled in by the server for the ticket; a failed one says so', async (t) => {
  const token = await server.managerToken();
  await server.api('POST', '/templates', {
    name: 'Arrival',
    variants: [
      { language: 'en', body: 'Dear {{guest_name}}, see you on {{check_in}} at {{listing}}.' },
      { language: 'pt', body: 'Olá {{guest_name}}, até {{check_in}} na {{listing}} (reserva {{reservation_id}}).' },
    ],
  }, { token });
  const doomed = await server.api('POST', '/templates', { name: 'Withdrawn', variants: [{ language: 'en', body: 'Hi {{guest_name}}' }] }, { token });
  const { page } = await agentAtWork(t, 'Tina Templates');
  const delivered = await server.ingest(
    guestMessage({
      name: 'Ana Costa',
      language: 'pt',
      body: 'A que horas é o check-in?',
      reservation: { external_id: 'PT77', status: 'confirmed', listing_external_id: 'lst-azul', listing_name: 'Casa Azul', check_in: '2030-07-03', check_out: '2030-07-06' },
    }),
  );
  await page.goto(`${server.url}/#/tickets/${delivered.ticket_id}`);
  await page.getByRole('heading', { name: 'Ana Costa' }).waitFor({ timeout: 5000 });
  await page.locator('#template-picker option', { hasText: 'Withdrawn' }).waitFor({ state: 'attached', timeout: 5000 });

  const reply = page.getByLabel('Reply', { exact: true });
  await page.getByLabel('Insert a template').selectOption({ label: 'Arrival' });
  await page.waitForFunction(() => document.querySelector('textarea[name="body"]').value !== '', null, { timeout: 5000 });
  // The server's words: the guest's language, its date format, the reservation's details.
  assert.equal(await reply.inputValue(), 'Olá Ana Costa, até 3 de julho de 2030 na Casa Azul (reserva PT77).');

  // A template deleted since the page listed it cannot be filled in: nothing is made up here.
  await reply.fill('');
  await server.api('DELETE', `/templates/${doomed.id}`, undefined, { token });
  await page.getByLabel('Insert a template').selectOption({ label: 'Withdrawn' });
  await page.locator('.reply-form .form-message.error', { hasText: 'Withdrawn' }).waitFor({ timeout: 5000 });
  assert.equal(await reply.inputValue(), '');
});

test('the unanswered tab lists the longest-waiting guest first, and the user can sort newest first', async (t) => {
  const { page } = await agentAtWork(t, 'Sofia Sorter');
  const ago = (minutes) => new Date(Date.now() - minutes * 60_000).toISOString();
  // Created in this order, waiting since 5, 40 and 20 minutes ago.
  for (const [name, minutes] of [['Sort Early', 5], ['Sort Longest', 40], ['Sort Middle', 20]]) {
    await server.ingest({ ...guestMessage({ name }), sent_at: ago(minutes) });
    await page.locator('.ticket-link', { hasText: name }).waitFor({ timeout: 5000 });
  }
  const names = () => page.locator('.ticket-list .ticket-link').evaluateAll((links) => links.map((a) => a.textContent).filter((t) => t.includes('Sort ')).map((t) => t.match(/Sort (Early|Longest|Middle)/)[0]));

  assert.equal(await page.locator('#inbox-sort').inputValue(), 'waiting');
  await page.reload();
  await page.locator('.ticket-link', { hasText: 'Sort Middle' }).waitFor({ timeout: 5000 });
  assert.deepEqual(await names(), ['Sort Longest', 'Sort Middle', 'Sort Early'], 'longest waiting first, as the server lists them');

  await page.locator('#inbox-sort').selectOption('newest');
  await page.waitForFunction(() => {
    const t = [...document.querySelectorAll('.ticket-list .ticket-link')].map((a) => a.textContent).filter((x) => x.includes('Sort '));
    return t.length === 3 && t[0].includes('Sort Middle');
  }, null, { timeout: 5000 });
  assert.deepEqual(await names(), ['Sort Middle', 'Sort Longest', 'Sort Early'], 'newest first');
  await screenshot(page, 'inbox-sorted-newest');
  await page.locator('#inbox-sort').selectOption('waiting');
});
