// The app shell: finds out who is signed in, starts the live connection, draws the header
// and routes `#/...` to one view module at a time. Views export `render(ctx)` and may return
// a cleanup function that runs when the route changes.

import { api, setUnauthorizedHandler } from './api.js';
import { Live } from './socket.js';
import { h, replace } from './dom.js';
import { beep } from './sound.js';
import { prefs } from './prefs.js';
import { useTimeZone } from './format.js';
import { installShortcuts } from './shortcuts.js';
import { desktopNotify } from './desktop.js';

const main = document.getElementById('main');
const header = document.getElementById('app-header');
const navLinks = document.getElementById('nav-links');
const notices = document.getElementById('notices');

const ROUTES = {
  login: () => import('./views/login.js'),
  inbox: () => import('./views/inbox.js'),
  todos: () => import('./views/todos.js'),
  tickets: () => import('./views/ticket.js'),
  wallboard: () => import('./views/wallboard.js'),
  agents: () => import('./views/agents.js'),
  groups: () => import('./views/groups.js'),
  templates: () => import('./views/templates.js'),
  reports: () => import('./views/reports.js'),
  settings: () => import('./views/settings.js'),
  connections: () => import('./views/connections.js'),
};
const MANAGER_ONLY = new Set(['wallboard', 'agents', 'groups', 'reports', 'settings', 'connections']);

const NAV = [
  { route: 'inbox', label: 'Inbox', roles: ['agent', 'manager'] },
  { route: 'todos', label: 'My to-dos', roles: ['agent', 'manager'] },
  { route: 'wallboard', label: 'Wallboard', roles: ['manager'] },
  { route: 'agents', label: 'Agents', roles: ['manager'] },
  { route: 'groups', label: 'Groups', roles: ['manager'] },
  { route: 'templates', label: 'Templates', roles: ['agent', 'manager'] },
  { route: 'reports', label: 'Reports', roles: ['manager'] },
  { route: 'settings', label: 'Settings', roles: ['manager'] },
  { route: 'connections', label: 'Connections', roles: ['manager'] },
];

const app = {
  session: null, // {user, account}
  live: new Live({
    checkSession: async () => {
      try {
        await api.me();
        return true;
      } catch (e) {
        return e.status !== 401;
      }
    },
  }),
  cleanup: null,
  renderId: 0,
};

// ---- notices -------------------------------------------------------------------------------

/** Shows a short message in the polite live region; it fades after a few seconds. */
export function notify(text, kind = 'info') {
  const item = h('p', { class: `toast toast-${kind}` }, text);
  notices.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 5000);
}

app.live.addEventListener('notice', (e) => notify(e.detail.text));
app.live.addEventListener('server-error', (e) => notify(e.detail.message || 'The server refused a request.', 'error'));

// ---- header: connection, unread badge in the title, sound on new work ------------------------

const connection = document.getElementById('connection');
app.live.addEventListener('status', (e) => {
  const { status, delayMs } = e.detail;
  connection.dataset.status = status;
  const label = connection.querySelector('.connection-label');
  label.textContent =
    status === 'live' ? 'Live' : status === 'connecting' ? 'Connecting…' : delayMs ? `Reconnecting in ${Math.ceil(delayMs / 1000)} s` : 'Offline';
});

function updateTitle() {
  const n = app.session ? app.live.unansweredCount() : 0;
  document.title = n > 0 ? `(${n}) Switchboard` : 'Switchboard';
}
for (const ev of ['snapshot', 'ticket', 'removed', 'message']) app.live.addEventListener(ev, updateTitle);

// Notes that mention the signed-in user and were not looked at yet: a badge in the header that
// leads to the latest of them (the ticket view clears a ticket's mentions).
const mentionBadge = document.getElementById('mention-badge');
function drawMentions() {
  const unseen = [...app.live.mentions.values()];
  mentionBadge.hidden = unseen.length === 0;
  if (!unseen.length) return;
  const latest = unseen[unseen.length - 1];
  mentionBadge.textContent = `@ ${unseen.length}`;
  mentionBadge.href = `#/tickets/${encodeURIComponent(latest.ticket_id)}`;
  const plural = unseen.length === 1 ? 'note mentions' : 'notes mention';
  mentionBadge.setAttribute('aria-label', `${unseen.length} ${plural} you; open the latest`);
  mentionBadge.title = `${latest.note.author_name || 'Someone'}: ${latest.note.body || ''}`;
}
app.live.addEventListener('mentions', drawMentions);

app.live.addEventListener('ticket', (e) => {
  const { kind, isNew, ticket } = e.detail;
  const me = app.session && String(app.session.user.id);
  if (kind !== 'assigned' || !isNew || String(ticket.assignee_id) !== me) return;
  if (prefs.get('sound', false)) beep();
  desktopNotify(ticket.id, `New ticket: ${(ticket.guest && ticket.guest.name) || 'a guest'}`, 'A guest is waiting for your reply.');
});
app.live.addEventListener('message', (e) => {
  const { ticket_id: id, message } = e.detail;
  const ticket = app.live.tickets.get(String(id));
  const me = app.session && String(app.session.user.id);
  if (!ticket || message.direction !== 'inbound' || String(ticket.assignee_id) !== me) return;
  desktopNotify(id, `${(ticket.guest && ticket.guest.name) || 'The guest'} replied`, message.body);
});

function drawHeader() {
  const user = app.session && app.session.user;
  header.hidden = !user;
  if (!user) return;
  document.getElementById('who').textContent = `${user.name} · ${app.session.account.name}`;
  const current = routeOf(location.hash).name;
  replace(
    navLinks,
    NAV.filter((n) => n.roles.includes(user.role)).map((n) =>
      h('li', {}, h('a', { href: `#/${n.route}`, 'aria-current': n.route === current ? 'page' : null }, n.label)),
    ),
  );
}

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api.logout();
  } catch {
    /* the session may be gone already */
  }
  signedOut();
});

// ---- session -------------------------------------------------------------------------------

function signedIn(session) {
  app.session = session;
  useTimeZone(session.account && session.account.timezone);
  app.live.user = session.user;
  app.live.start();
  drawHeader();
}

function signedOut() {
  app.session = null;
  app.live.stop();
  updateTitle();
  drawMentions();
  drawHeader();
  navigate('#/login');
}

app.live.addEventListener('signedout', () => {
  if (app.session) {
    notify('You were signed out; please log in again.', 'error');
    signedOut();
  }
});

setUnauthorizedHandler(() => {
  if (app.session) {
    notify('Your session ended; please log in again.', 'error');
    signedOut();
  }
});

// ---- routing -------------------------------------------------------------------------------

function routeOf(hash) {
  const parts = (hash || '').replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || '', params: parts.slice(1) };
}

export function navigate(hash, { replace: replaceHistory = false } = {}) {
  if (location.hash === hash) return route();
  if (replaceHistory) {
    history.replaceState(null, '', hash);
    route();
  } else {
    location.hash = hash;
  }
}

function homeFor(user) {
  return user.role === 'manager' ? '#/wallboard' : '#/inbox';
}

async function route() {
  const id = ++app.renderId;
  let { name, params } = routeOf(location.hash);
  const user = app.session && app.session.user;
  if (!user && name !== 'login') return navigate('#/login', { replace: true });
  if (user && (name === '' || name === 'login')) return navigate(homeFor(user), { replace: true });
  if (user && MANAGER_ONLY.has(name) && user.role !== 'manager') return navigate('#/inbox', { replace: true });
  if (!ROUTES[name]) name = 'notfound';

  if (app.cleanup) {
    try {
      app.cleanup();
    } catch {
      /* a view that failed to clean up must not block the next one */
    }
    app.cleanup = null;
  }
  drawHeader();
  main.dataset.route = name;
  if (name === 'notfound') {
    replace(main, h('section', { class: 'panel' }, h('h1', {}, 'Page not found'), h('p', {}, h('a', { href: homeFor(user) }, 'Go to the start page'))));
    return;
  }
  let mod;
  try {
    mod = await ROUTES[name]();
  } catch (e) {
    replace(main, h('p', { class: 'panel error' }, `This page could not be loaded: ${e.message}`));
    return;
  }
  if (id !== app.renderId) return; // the user moved on meanwhile
  main.replaceChildren();
  // A new page opens at its top; a view that keeps its place (the inbox) restores it itself.
  window.scrollTo(0, 0);
  const ctx = {
    root: main,
    api,
    live: app.live,
    session: app.session,
    params,
    notify,
    navigate,
    onSignedIn: (session) => {
      signedIn(session);
      navigate(homeFor(session.user), { replace: true });
    },
  };
  const cleanup = await mod.render(ctx);
  if (id !== app.renderId) {
    if (typeof cleanup === 'function') cleanup();
    return;
  }
  app.cleanup = typeof cleanup === 'function' ? cleanup : null;
  // A new page moves focus to its heading (screen readers announce it), unless the view
  // already put focus somewhere useful.
  const heading = main.querySelector('h1');
  if (heading && (document.activeElement === document.body || !document.activeElement)) {
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }
}

history.scrollRestoration = 'manual';
installShortcuts(() => main.dataset.route);
window.addEventListener('hashchange', route);

async function boot() {
  try {
    const session = await api.me();
    signedIn(session);
  } catch {
    app.session = null;
  }
  route();
}

boot();
