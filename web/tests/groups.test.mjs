// The manager sets up routing groups through the pages: creates two groups (one overflowing to
// the other), edits one, puts an agent in a group on the agent dialog, sees a group's queue on
// the wallboard, and deletes a group. Each change is checked against the API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, guestMessage } from './server.mjs';
import { launchBrowser, screenshot, loginThroughForm } from './browser.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServer('groups');
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await loginThroughForm(page, server, server.manager.email, server.manager.password);
  await page.waitForURL(/#\/wallboard$/, { timeout: 5000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const groupsNow = async () => (await server.api('GET', '/groups', undefined, { token: await server.managerToken() })).items;

test('the manager creates, edits and deletes routing groups and puts an agent in one', async () => {
  await page.getByRole('link', { name: 'Groups' }).click();
  await page.getByRole('heading', { name: 'Groups', exact: true }).waitFor();
  const form = page.locator('form', { has: page.getByRole('heading', { name: 'New group' }) });

  // Created first, it is matched first: it needs a rule of its own, or it would take all.
  await form.getByLabel('Name').fill('Partner hotels');
  await form.getByLabel('Entry points').fill('partners@example.com');
  await form.getByLabel('Agents working at least').fill('1');
  await form.getByRole('button', { name: 'Create group' }).click();
  await page.locator('.group-card', { hasText: 'Partner hotels' }).waitFor({ timeout: 5000 });

  await form.getByLabel('Name').fill('Resorts');
  await form.getByLabel('Entry points').fill('Resorts@Example.com, +34 600 000 000');
  await form.getByLabel('Languages').fill('ES');
  await form.getByLabel('Overflow group').selectOption({ label: 'Partner hotels' });
  await form.getByLabel('Overflow after (seconds)').fill('90');
  await form.getByRole('button', { name: 'Create group' }).click();
  const resortsCard = page.locator('.group-card', { hasText: 'Resorts' });
  await resortsCard.waitFor({ timeout: 5000 });
  await resortsCard.getByText('Partner hotels after 90 s in the queue').waitFor();

  let groups = await groupsNow();
  const partners = groups.find((g) => g.name === 'Partner hotels');
  let resorts = groups.find((g) => g.name === 'Resorts');
  assert.equal(partners.min_agents, 1);
  assert.deepEqual(partners.rules.entry_points, ['partners@example.com']);
  assert.deepEqual(resorts.rules.entry_points, ['+34600000000', 'resorts@example.com']);
  assert.deepEqual(resorts.rules.languages, ['es']);
  assert.equal(resorts.overflow_group_id, partners.id);
  assert.equal(resorts.overflow_after_seconds, 90);

  // A refusal shows the server's words: the name is taken.
  await form.getByLabel('Name').fill('Resorts');
  await form.getByRole('button', { name: 'Create group' }).click();
  await form.locator('.form-message.error').waitFor({ timeout: 5000 });

  // Edit: no overflow any more, a floor of 2.
  await resortsCard.getByRole('button', { name: 'Edit Resorts' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Overflow group').selectOption({ label: 'No overflow' });
  await dialog.getByLabel('Agents working at least').fill('2');
  await screenshot(page, 'group-dialog');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await dialog.waitFor({ state: 'hidden', timeout: 5000 });
  groups = await groupsNow();
  resorts = groups.find((g) => g.name === 'Resorts');
  assert.equal(resorts.overflow_group_id, null);
  assert.equal(resorts.min_agents, 2);

  // The agent dialog lists the groups; ticking one puts the agent in it.
  await server.createAgent('Rita Resort');
  await page.getByRole('link', { name: 'Agents' }).click();
  const row = page.locator('tr', { hasText: 'Rita Resort' });
  await row.waitFor({ timeout: 5000 });
  await row.getByRole('button', { name: 'Edit Rita Resort' }).click();
  const agentDialog = page.getByRole('dialog');
  await agentDialog.getByLabel('Resorts').check();
  await agentDialog.getByRole('button', { name: 'Save' }).click();
  await agentDialog.waitFor({ state: 'hidden', timeout: 5000 });
  await row.getByText('Routing groups: Resorts').waitFor({ timeout: 5000 });
  const { items } = await server.api('GET', '/agents', undefined, { token: await server.managerToken() });
  assert.deepEqual(items.find((a) => a.name === 'Rita Resort').card.groups, [resorts.id]);

  // Rita works the resorts alone (floor 2): she may not pause, but the manager may pause her.
  const rita = await server.login(items.find((a) => a.name === 'Rita Resort').email, 'agent-password-1');
  await server.api('POST', '/me/timer/start', undefined, { token: rita });
  await assert.rejects(server.api('POST', '/me/intake/pause', undefined, { token: rita }), (e) => e.status === 409 && e.body.error.code === 'coverage_floor');
  await page.reload();
  await row.getByRole('button', { name: 'Pause intake of Rita Resort' }).click();
  await row.getByText('Paused').waitFor({ timeout: 5000 });
  await row.getByRole('button', { name: 'Stop timer of Rita Resort' }).click();
  await row.getByText('Not working').waitFor({ timeout: 5000 });

  // A ticket written to the resorts' address waits in the group's queue on the wallboard.
  const msg = guestMessage({ name: 'Zoë', language: 'es' });
  msg.entry_point = 'resorts@example.com';
  await server.ingest(msg);
  await page.getByRole('link', { name: 'Wallboard' }).click();
  const line = page.locator(`.wb-groups tr[data-group-id="${resorts.id}"]`);
  await line.locator('td[data-queued="1"]').waitFor({ timeout: 10000 });
  await page.locator('.wb-groups').getByText('0 of 2 needed').waitFor();
  await screenshot(page, 'wallboard-groups');

  // Delete: the group leaves the list and the agent's card.
  await page.getByRole('link', { name: 'Groups' }).click();
  page.once('dialog', (d) => d.accept());
  await page.locator('.group-card', { hasText: 'Resorts' }).getByRole('button', { name: 'Delete Resorts' }).click();
  await page.locator('.group-card', { hasText: 'Resorts' }).waitFor({ state: 'detached', timeout: 5000 });
  assert.deepEqual((await groupsNow()).map((g) => g.name), ['Partner hotels']);
  const after = await server.api('GET', '/agents', undefined, { token: await server.managerToken() });
  assert.deepEqual(after.items.find((a) => a.name === 'Rita Resort').card.groups, []);
});
