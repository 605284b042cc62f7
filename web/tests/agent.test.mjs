// An agent's day: sign in, start the timer, a guest message appears live, open it, reply
// with a template, mark it done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, call, login, guestMessage, browser, signIn, MANAGER, ARTIFACTS } from './server.mjs';

test('an agent answers a live ticket with a template and closes it', async () => {
  const server = await startServer();
  const chrome = await browser();
  try {
    const lead = await login(server.base, MANAGER.email, MANAGER.password);
    await call(server.base, 'POST', '/agents', lead, { email: 'ana@web.test', name: 'Ana', password: 'ana-password' });
    await call(server.base, 'POST', '/templates', lead, { name: 'Welcome', variants: [{ language: 'en', body: 'Hi {{guest_name}}, welcome to {{listing}}!' }] });

    const page = await chrome.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, server.base, 'ana@web.test', 'ana-password');
    await page.getByRole('button', { name: 'Start timer' }).click();
    await page.getByRole('button', { name: 'Stop timer' }).waitFor();

    const ids = await call(server.base, 'POST', '/ingest/messages', server.apiKey, guestMessage('Maria Costa', 'm-1'));
    const item = page.locator('#ticket-list button', { hasText: 'Maria Costa' });
    await item.waitFor({ timeout: 3000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'agent-inbox.png') });
    assert.equal(await page.locator('#unanswered-badge').textContent(), '1');

    await item.click();
    await page.getByText('Is it free?').waitFor();
    await page.locator('#ticket-pane h2', { hasText: 'opened' }).waitFor();
    await page.getByLabel('Template').selectOption({ label: 'Welcome' });
    await page.waitForFunction(() => document.querySelector('#reply-body').value.includes('Maria Costa'));
    assert.equal(await page.locator('#reply-body').inputValue(), 'Hi Maria Costa, welcome to Alfama Loft!');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.locator('.message.outbound', { hasText: 'welcome to Alfama Loft' }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    await page.locator('#ticket-pane h2', { hasText: 'done' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'agent-done.png') });

    const ticket = await call(server.base, 'GET', `/tickets/${ids.ticket_id}`, lead);
    assert.equal(ticket.state, 'done');
    assert.equal(ticket.messages.length, 2);
    assert.equal(ticket.messages[1].body, 'Hi Maria Costa, welcome to Alfama Loft!');
  } finally {
    await chrome.close();
    await server.stop();
  }
});

test('the inbox works at phone width', async () => {
  const server = await startServer();
  const chrome = await browser();
  try {
    const lead = await login(server.base, MANAGER.email, MANAGER.password);
    await call(server.base, 'POST', '/agents', lead, { email: 'bo@web.test', name: 'Bo', password: 'bo-password' });
    const page = await chrome.newPage({ viewport: { width: 375, height: 760 } });
    await signIn(page, server.base, 'bo@web.test', 'bo-password');
    await page.getByRole('tab', { name: 'Unanswered' }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'agent-phone.png'), fullPage: true });
  } finally {
    await chrome.close();
    await server.stop();
  }
});
