// Starts a real Switchboard server for one browser-test file: a fresh PostgreSQL database,
// an account with a manager and an ingest key (`switchboard account create`), then
// `switchboard serve` on a free loopback port, serving this checkout's `web/` folder.
//
// Environment:
//   SWITCHBOARD_BIN    the server binary (default ../../target/debug/switchboard from here)
//   TEST_DATABASE_URL  an admin connection used to create and drop the test database
//                      (default postgres://postgres@127.0.0.1:5432/postgres)

import { spawn, execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, mkdirSync, createWriteStream } from 'node:fs';
import { dirname, resolve, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = resolve(here, 'artifacts');
const WEB_DIR = resolve(here, '..');

function binary() {
  const raw = process.env.SWITCHBOARD_BIN || '../../target/debug/switchboard';
  return isAbsolute(raw) ? raw : resolve(here, raw);
}

function adminUrl() {
  return process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The admin URL with its database name replaced. */
function databaseUrl(name) {
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

async function psql(sql) {
  await run('psql', [adminUrl(), '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql]);
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a server. `label` names the database and the log file.
 * Returns {url, slug, manager: {email, password}, apiKey, accountId, api(...), stop()}.
 */
export async function startServer(label = 'web') {
  const bin = binary();
  if (!existsSync(bin)) {
    throw new Error(`The server binary ${bin} does not exist: run \`cargo build\` first or set SWITCHBOARD_BIN.`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const safe = label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 20);
  const dbName = `sbweb_${safe}_${randomBytes(4).toString('hex')}`;
  await psql(`CREATE DATABASE ${dbName}`);

  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl(dbName),
    SWITCHBOARD_BIND: `127.0.0.1:${port}`,
    SWITCHBOARD_WEB_DIR: WEB_DIR,
    RUST_LOG: process.env.RUST_LOG || 'warn',
  };
  delete env.REDIS_URL; // one node, in-process presence

  const slug = `t${randomBytes(3).toString('hex')}`;
  const manager = { email: `manager@${slug}.test`, password: 'manager-password-1' };
  let created;
  try {
    const { stdout } = await run(bin, ['account', 'create', '--slug', slug, '--name', `Test ${label}`, '--manager-email', manager.email, '--manager-password', manager.password], { env });
    created = JSON.parse(stdout.trim().split('\n').pop());
  } catch (e) {
    await psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    throw new Error(`switchboard account create failed: ${e.stderr || e.message}`);
  }

  const log = createWriteStream(resolve(ARTIFACTS, `${safe}-server.log`));
  const url = `http://127.0.0.1:${port}`;
  let child = null;
  let exited = null;

  /** Spawns `switchboard serve` and waits until /healthz answers. */
  async function serve() {
    exited = null;
    child = spawn(bin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const me = child;
    me.on('exit', (code, signal) => {
      if (me === child) exited = { code, signal };
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`switchboard serve exited early (${JSON.stringify(exited)}); see ${safe}-server.log`);
      try {
        const res = await fetch(`${url}/api/v1/healthz`);
        if (res.ok) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('the server did not answer /api/v1/healthz within 60 s');
      }
      await sleep(150);
    }
  }

  async function halt(signal = 'SIGTERM') {
    if (!child || exited) return;
    child.kill(signal);
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) child.kill('SIGKILL');
    for (let i = 0; i < 20 && !exited; i++) await sleep(100);
  }

  await serve();

  const server = {
    url,
    slug,
    manager,
    apiKey: created.api_key,
    accountId: created.account_id,
    databaseUrl: env.DATABASE_URL,
    /** Calls the API: `api('POST', '/agents', body, {token})`; throws on a non-2xx answer. */
    async api(method, path, body, { token, bearer, accept } = {}) {
      const headers = { Accept: accept || 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (token || bearer) headers.Authorization = `Bearer ${token || bearer}`;
      const res = await fetch(`${url}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      let data = text;
      try {
        data = text ? JSON.parse(text) : null;
      } catch {
        /* CSV or text */
      }
      if (!res.ok) {
        const err = new Error(`${method} ${path} → ${res.status}: ${text}`);
        err.status = res.status;
        err.body = data;
        throw err;
      }
      return data;
    },
    /** Logs in through the API and returns the bearer token. */
    async login(email, password) {
      const r = await server.api('POST', '/auth/login', { account: slug, email, password });
      return r.token;
    },
    async managerToken() {
      if (!server._managerToken) server._managerToken = await server.login(manager.email, manager.password);
      return server._managerToken;
    },
    /** Creates an agent as the manager; returns {agent, email, password}. */
    async createAgent(name, extra = {}) {
      const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@${slug}.test`;
      const password = 'agent-password-1';
      const agent = await server.api('POST', '/agents', { name, email, password, ...extra }, { token: await server.managerToken() });
      return { agent, email, password };
    },
    /** Delivers a guest message through the ingest API with the account's key. */
    ingest(message) {
      return server.api('POST', '/ingest/messages', message, { bearer: created.api_key });
    },
    /** Stops the server (SIGTERM, or `SIGKILL` to crash it) and starts it again on the same port. */
    async restart(signal = 'SIGTERM') {
      await halt(signal);
      await serve();
    },
    async stop() {
      await halt();
      log.end();
      await psql(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    },
  };
  return server;
}

/** A guest message for `ingest`, unique per call unless ids are given. */
export function guestMessage({ name = 'Ana Guest', language = 'en', body = 'Hello! Is the flat free next weekend?', channel = 'airbnb', thread, message, reservation } = {}) {
  const id = randomBytes(4).toString('hex');
  const msg = {
    channel,
    thread_external_id: thread || `thread-${id}`,
    message_external_id: message || `msg-${id}`,
    body,
    sent_at: new Date().toISOString(),
    guest: { external_id: `guest-${(thread || id)}`, name, language },
  };
  if (reservation) msg.reservation = reservation;
  return msg;
}
