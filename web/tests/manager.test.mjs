// The manager's live view: wallboard tiles follow the queue as guests write and agents start
// work, a pending ticket shows as at risk and the manager reassigns it from the wallboard;
// the reports page downloads the agents' CSV with the SPEC header.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

const CSV_HEADER =
  'agent_id,agent_name,incoming,reassigned_away,pending,closed,replies,avg_response_seconds,median_response_seconds,p90_response_seconds,avg_response_seconds_pre_booking,avg_response_seconds_post_booking,first_response_seconds_avg,sla_percent,work_seconds,invisible_seconds,conversion_percent,sales,tickets_per_work_hour,reviews,communication_score_avg,returned,remarketing_tries,remarketing_booked';

let server;
let browser;

before(async () => {
  server = await startServer('manager');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function managerPage(viewport = { width: 1920, height: 1080 }) {
  const page = await browser.newPage({ viewport });
  await loginThroughForm(page, server, server.manager.email, server.manager.password);
  await page.waitForURL(/#\/wallboard$/, { timeout: 5000 });
  return page;
}

async function agentAtWork(name) {
  const creds = await server.createAgent(name);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await loginThroughForm(page, server, creds.email, creds.password);
  await page.waitForURL(/#\/inbox$/, { timeout: 5000 });
  await page.locator('#connection[data-status="live"]').waitFor({ timeout: 5000 });
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('button', { name: 'Stop timer' }).waitFor({ timeout: 5000 });
  return { page, ...creds };
}

const tile = (page, name, value) => page.locator(`[data-tile="${name}"]`, { hasText: new RegExp(`^${value}$`) });

test('wallboard tiles change live; the manager reassigns an at-risk ticket', async () => {
  const wb = await managerPage();
  await tile(wb, 'queued', '0').waitFor({ timeout: 5000 });

  // Nobody works yet: the guest waits in the queue.
  const delivered = await server.ingest(guestMessage({ name: 'Queue Quinn', body: 'Anyone there?' }));
  await tile(wb, 'queued', '1').waitFor({ timeout: 3000 });
  await screenshot(wb, 'wallboard-queued');

  // An agent starts work: the queue drains to them, the tiles follow.
  const ana = await agentAtWork('Ana Early');
  await ana.page.locator('.ticket-row', { hasText: 'Queue Quinn' }).waitFor({ timeout: 3000 });
  await tile(wb, 'queued', '0').waitFor({ timeout: 3000 });
  await tile(wb, 'unanswered', '1').waitFor({ timeout: 3000 });
  await wb.locator('.wb-agents tr', { hasText: 'Ana Early' }).getByText('Working').waitFor({ timeout: 3000 });

  // Ana flags it for the manager: it is at risk on the wallboard.
  const anaToken = await server.login(ana.email, ana.password);
  await server.api('POST', `/tickets/${delivered.ticket_id}/open`, {}, { token: anaToken });
  await server.api('POST', `/tickets/${delivered.ticket_id}/pending`, { note: 'Guest asks for a refund' }, { token: anaToken });
  const risk = wb.locator('.risk', { hasText: 'Queue Quinn' });
  await risk.locator('.pill', { hasText: 'Pending' }).waitFor({ timeout: 3000 });

  // Another agent comes in; the manager hands the ticket over from the wallboard.
  const ben = await agentAtWork('Ben Later');
  await risk.getByRole('combobox').selectOption(String(ben.agent.id));
  // The board changes between picking and clicking (another guest writes): the live redraw
  // must keep the manager's pick.
  await risk.getByRole('combobox').evaluate((el) => (el.dataset.drawn = 'before'));
  await server.ingest(guestMessage({ name: 'Redraw Rita', body: 'Hello?' }));
  await risk.locator('select:not([data-drawn])').waitFor({ timeout: 5000 });
  await risk.getByRole('button', { name: 'Reassign' }).click();
  await wb.locator('#notices', { hasText: 'Reassigned to Ben Later' }).waitFor({ timeout: 10000 });
  const ticket = await server.api('GET', `/tickets/${delivered.ticket_id}`, undefined, { token: await server.managerToken() });
  assert.equal(String(ticket.assignee_id), String(ben.agent.id));
  await ana.page.locator('#notices', { hasText: 'Ticket moved to another agent' }).waitFor({ timeout: 3000 });
  await screenshot(wb, 'wallboard-tv');

  for (const p of [ana.page, ben.page]) {
    await p.evaluate(() => fetch('/api/v1/me/timer/stop', { method: 'POST', credentials: 'same-origin' }));
    await p.close();
  }
  await wb.close();
});

test('a manager reassigning against the agent\'s card is asked first, and the ticket then stays', async () => {
  const booked = await server.createAgent('Bo Booked', { card: { stages: ['booked'] } });
  const delivered = await server.ingest(guestMessage({ name: 'Card Carla', body: 'Is it free in May?' }));
  const page = await managerPage({ width: 1280, height: 900 });
  await page.goto(`${server.url}/#/tickets/${delivered.ticket_id}`);
  const form = page.getByRole('form', { name: 'Reassign the ticket' });
  await form.getByRole('combobox').selectOption(String(booked.agent.id));
  let asked = '';
  page.once('dialog', (dialog) => {
    asked = dialog.message();
    dialog.accept();
  });
  await form.getByRole('button', { name: 'Reassign' }).click();
  await form.getByText('Reassigned to Bo Booked, who is not working now').waitFor({ timeout: 3000 });
  assert.match(asked, /Bo Booked's card does not take this ticket's booking stage\. Assign anyway\?/);
  const ticket = await server.api('GET', `/tickets/${delivered.ticket_id}`, undefined, { token: await server.managerToken() });
  assert.equal(String(ticket.assignee_id), String(booked.agent.id));
  assert.equal(ticket.pinned, true);
  await page.close();
});

test('the reports page shows the period and downloads the CSV', async () => {
  const page = await managerPage({ width: 1280, height: 900 });
  await page.goto(`${server.url}/#/reports`);
  await page.getByRole('heading', { name: 'Team' }).waitFor({ timeout: 5000 });
  await page.locator('.chart-figure').first().waitFor();
  await screenshot(page, 'reports');

  const link = page.getByRole('link', { name: 'Download CSV' });
  const href = await link.getAttribute('href');
  assert.match(href, /^\/api\/v1\/reports\/agents\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}&format=csv$/);
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 5000 }), link.click()]);
  const path = await download.path();
  const csv = await readFile(path, 'utf8');
  assert.equal(csv.split(/\r?\n/)[0], CSV_HEADER);
  await page.close();
});
