// A manager's day: the wallboard changes live, a ticket at risk is reassigned, the CSV
// report downloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startServer, call, login, guestMessage, browser, signIn, MANAGER, ARTIFACTS } from './server.mjs';

test('the wallboard is live and a manager reassigns a ticket at risk', async () => {
  const server = await startServer();
  const chrome = await browser();
  try {
    const lead = await login(server.base, MANAGER.email, MANAGER.password);
    await call(server.base, 'PATCH', '/account', lead, { response_sla_seconds: 60 });
    const agent = await call(server.base, 'POST', '/agents', lead, { email: 'cy@web.test', name: 'Cy', password: 'cy-password' });

    const page = await chrome.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, server.base, MANAGER.email, MANAGER.password);
    await page.getByRole('heading', { name: 'Wallboard' }).waitFor();
    await page.locator('#tile-queued .value', { hasText: '0' }).waitFor();

    // Nobody is working: the guest waits in the queue, and has waited past the SLA.
    const old = new Date(Date.now() - 10 * 60 * 1000).toISOString();
    const ids = await call(server.base, 'POST', '/ingest/messages', server.apiKey, guestMessage('Late Guest', 'm-1', { sent_at: old }));
    await page.locator('#tile-queued .value', { hasText: '1' }).waitFor({ timeout: 3000 });
    const row = page.locator(`tr[data-ticket="${ids.ticket_id}"]`);
    await row.waitFor({ timeout: 3000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'wallboard.png') });

    await row.getByRole('combobox').selectOption({ label: 'Cy (offline)' });
    await row.getByRole('button', { name: 'Reassign' }).click();
    await page.locator('#tile-queued .value', { hasText: '0' }).waitFor({ timeout: 3000 });
    const ticket = await call(server.base, 'GET', `/tickets/${ids.ticket_id}`, lead);
    assert.equal(ticket.assignee_id, agent.id);
  } finally {
    await chrome.close();
    await server.stop();
  }
});

test('the reports page downloads the CSV', async () => {
  const server = await startServer();
  const chrome = await browser();
  try {
    const lead = await login(server.base, MANAGER.email, MANAGER.password);
    await call(server.base, 'POST', '/agents', lead, { email: 'di@web.test', name: 'Di, "the closer"', password: 'di-password' });
    const context = await chrome.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signIn(page, server.base, MANAGER.email, MANAGER.password);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.locator('#agents-report').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'reports.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const file = path.join(ARTIFACTS, 'agents-report.csv');
    await download.saveAs(file);
    const csv = await readFile(file, 'utf8');
    assert.ok(csv.startsWith('agent_id,agent_name,incoming,reassigned_away,pending,closed,replies,'), csv);
    assert.ok(csv.includes('"Di, ""the closer"""'), csv);
  } finally {
    await chrome.close();
    await server.stop();
  }
});
