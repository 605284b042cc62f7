// The manager administers the desk through the pages: adds an agent and edits the card,
// writes a template with two languages, and changes the dispatching settings. Each change
// is checked against the API, so the forms send what the server stores.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServer('admin');
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await loginThroughForm(page, server, server.manager.email, server.manager.password);
  await page.waitForURL(/#\/wallboard$/, { timeout: 5000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the manager adds an agent and edits the card', async () => {
  await page.getByRole('link', { name: 'Agents' }).click();
  await page.getByRole('heading', { name: 'Agents', exact: true }).waitFor();
  const form = page.locator('form', { has: page.getByRole('heading', { name: 'Add an agent' }) });
  await form.getByLabel('Name').fill('Carla Card');
  await form.getByLabel('E-mail').fill(`carla@${server.slug}.test`);
  await form.getByLabel('Password').fill('carla-password-1');
  await form.getByRole('button', { name: 'Add agent' }).click();
  const row = page.locator('tr', { hasText: 'Carla Card' });
  await row.waitFor({ timeout: 5000 });

  await row.getByRole('button', { name: 'Edit Carla Card' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Booked').check();
  await dialog.getByLabel('Staying').check();
  await dialog.getByLabel('Airbnb').check();
  await dialog.getByLabel('Languages').fill('en, PT');
  await dialog.getByLabel('Listing groups').fill('Lisbon');
  await dialog.getByLabel('Most active tickets').fill('5');
  await screenshot(page, 'agent-card-dialog');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  await row.getByText('Stages: Booked, Staying').waitFor({ timeout: 5000 });

  const { items } = await server.api('GET', '/agents', undefined, { token: await server.managerToken() });
  const carla = items.find((a) => a.name === 'Carla Card');
  assert.deepEqual(carla.card.stages, ['booked', 'staying']);
  assert.deepEqual(carla.card.channels, ['airbnb']);
  assert.deepEqual(carla.card.languages, ['en', 'pt']);
  assert.deepEqual(carla.card.listing_groups, ['Lisbon']);
  assert.equal(carla.card.max_active, 5);
  assert.equal(carla.role, 'agent');
  assert.equal(carla.active, true);
});

test('the manager writes a template with two languages and deletes it', async () => {
  await page.getByRole('link', { name: 'Templates' }).click();
  const editor = page.locator('form', { has: page.getByRole('heading', { name: 'New template' }) });
  await editor.waitFor();
  await editor.getByLabel('Name').first().fill('Check-in details');
  await editor.getByLabel('Language').first().fill('en');
  await editor.getByLabel('Body').first().fill('Hi {{guest_name}}, check-in at {{listing}} is from 15:00.');
  await editor.getByRole('button', { name: 'Add a language' }).click();
  await editor.getByLabel('Language').nth(1).fill('de');
  await editor.getByLabel('Body').nth(1).fill('Hallo {{guest_name}}, Check-in in {{listing}} ab 15 Uhr.');
  await editor.getByRole('button', { name: 'Create template' }).click();
  const card = page.locator('.template-card', { hasText: 'Check-in details' });
  await card.waitFor({ timeout: 5000 });
  await card.getByText('Hallo {{guest_name}}').waitFor();

  const { items } = await server.api('GET', '/templates', undefined, { token: await server.managerToken() });
  const saved = items.find((t) => t.name === 'Check-in details');
  assert.deepEqual(saved.variants.map((v) => v.language).sort(), ['de', 'en']);

  // An unknown placeholder is refused with the server's message.
  await editor.getByLabel('Name').first().fill('Broken');
  await editor.getByLabel('Body').first().fill('Hi {{first_name}}');
  await editor.getByRole('button', { name: 'Create template' }).click();
  await editor.locator('.form-message.error').waitFor({ timeout: 5000 });
  await screenshot(page, 'templates');

  page.once('dialog', (d) => d.accept());
  await card.getByRole('button', { name: 'Delete Check-in details' }).click();
  await card.waitFor({ state: 'detached', timeout: 5000 });
});

test('the manager changes the dispatching settings', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  await page.getByLabel('Response SLA (minutes)').fill('4');
  await page.getByLabel('Assignment strategy').selectOption('round_robin');
  await page.getByLabel('Rebalance threshold').fill('3');
  await page.getByLabel('Offline grace (seconds)').fill('90');
  await page.getByLabel('Timezone').selectOption('Europe/Lisbon');
  await page.getByLabel('Return timer for pre-booking (seconds)').fill('120');
  assert.equal(await page.getByLabel('Recently confirmed (days)').inputValue(), '7');
  await page.getByLabel('Recently confirmed (days)').fill('30');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.locator('.form-message.ok', { hasText: 'Saved' }).waitFor({ timeout: 5000 });
  const account = await server.api('GET', '/account', undefined, { token: await server.managerToken() });
  assert.equal(account.response_sla_seconds, 240);
  assert.equal(account.assignment_strategy, 'round_robin');
  assert.equal(account.rebalance_threshold, 3);
  assert.equal(account.offline_grace_seconds, 90);
  assert.equal(account.timezone, 'Europe/Lisbon');
  assert.deepEqual(account.return_after_seconds_by_stage, { pre_booking: 120 });
  assert.equal(account.return_after_seconds, null);
  assert.equal(account.recently_confirmed_days, 30);
});
