// Starts the real server for a browser test: a fresh database, an account made with the
// `switchboard account create` command, `switchboard serve` on a free port; and Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(here, 'artifacts');
mkdirSync(ARTIFACTS, { recursive: true });

const freePort = () => new Promise((resolve) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

export const MANAGER = { email: 'lead@web.test', password: 'lead-password' };

export async function startServer() {
  const bin = process.env.SWITCHBOARD_BIN || path.resolve(here, '../../target/debug/switchboard');
  const admin = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = `sb_web_${process.pid}_${Date.now()}`;
  execFileSync('psql', [admin, '-qc', `CREATE DATABASE "${db}"`]);
  const port = await freePort();
  const env = { ...process.env, DATABASE_URL: admin.replace(/\/[^/]*$/, `/${db}`), SWITCHBOARD_BIND: `127.0.0.1:${port}`, REDIS_URL: '', RUST_LOG: 'warn' };
  const created = JSON.parse(execFileSync(bin, ['account', 'create', '--slug', 'web', '--name', 'Web Stays',
    '--manager-email', MANAGER.email, '--manager-password', MANAGER.password], { env }).toString());
  const proc = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`${base}/api/v1/healthz`)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    proc.kill();
    await new Promise((r) => proc.once('exit', r));
    execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`]);
  };
  return { base, apiKey: created.api_key, stop };
}

/** Calls the API as a signed-in user (token) or with the ingest key. */
export async function call(base, method, pathname, token, body) {
  const res = await fetch(`${base}/api/v1${pathname}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function login(base, email, password) {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account: 'web', email, password }) });
  return (await res.json()).token;
}

export function guestMessage(guest, id, extra = {}) {
  return {
    channel: 'airbnb', thread_external_id: `t-${guest}`, message_external_id: id, body: `Hello, this is ${guest}. Is it free?`,
    sent_at: new Date().toISOString(), guest: { external_id: `g-${guest}`, name: guest, language: 'en' },
    reservation: { external_id: `r-${guest}`, status: 'inquiry', listing_external_id: 'l-1', listing_name: 'Alfama Loft' }, ...extra,
  };
}

export async function browser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
      '--disable-component-update', '--disable-sync'],
  });
}

export async function signIn(page, base, email, password) {
  await page.goto(base);
  await page.getByLabel('Account').fill('web');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
