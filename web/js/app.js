// The app shell: who is signed in, the navigation, the work-state controls, and routing by
// hash (#/inbox, #/wallboard, #/agents, #/settings, #/templates, #/reports).

import { get, post, ApiError } from './api.js';
import { h } from './dom.js';
import { Live } from './socket.js';
import { loginView } from './views/login.js';
import { inboxView } from './views/inbox.js';
import { wallboardView } from './views/wallboard.js';
import { agentsView } from './views/agents.js';
import { settingsView } from './views/settings.js';
import { templatesView } from './views/templates.js';
import { reportsView } from './views/reports.js';

const routes = {
  inbox: { title: 'Inbox', view: inboxView },
  wallboard: { title: 'Wallboard', view: wallboardView, manager: true },
  agents: { title: 'Agents', view: agentsView, manager: true },
  settings: { title: 'Settings', view: settingsView, manager: true },
  templates: { title: 'Templates', view: templatesView, manager: true },
  reports: { title: 'Reports', view: reportsView, manager: true },
};

export const session = { me: null, live: null, state: null };

function renderWork() {
  const box = document.getElementById('work');
  const s = session.state;
  box.replaceChildren(
    h('span', { class: `dot ${s.presence}`, title: `Presence: ${s.presence}` }),
    h('span', { class: 'muted', id: 'presence' }, s.presence),
    h('button', { class: s.working ? '' : 'primary', id: 'timer', onclick: () => setWork(s.working ? '/me/timer/stop' : '/me/timer/start') },
      s.working ? 'Stop timer' : 'Start timer'),
    h('button', { id: 'intake', disabled: !s.working, onclick: () => setWork(s.intake_paused ? '/me/intake/resume' : '/me/intake/pause') },
      s.intake_paused ? 'Resume intake' : 'Pause intake'),
    h('button', { onclick: logout }, 'Sign out'),
  );
}

async function setWork(path) {
  const user = await post(path);
  session.state = user.state;
  renderWork();
}

async function logout() {
  await post('/auth/logout');
  session.live?.close();
  location.hash = '';
  location.reload();
}

function renderNav(current) {
  const manager = session.me.user.role === 'manager';
  const links = Object.entries(routes)
    .filter(([, r]) => manager || !r.manager)
    .map(([name, r]) => h('a', { href: `#/${name}`, 'aria-current': name === current ? 'page' : null }, r.title));
  document.getElementById('nav').replaceChildren(...links);
}

let cleanup = null;

async function route() {
  const main = document.getElementById('app');
  const manager = session.me.user.role === 'manager';
  let name = location.hash.replace(/^#\//, '') || (manager ? 'wallboard' : 'inbox');
  if (!routes[name] || (routes[name].manager && !manager)) name = 'inbox';
  renderNav(name);
  document.title = `${routes[name].title} · Switchboard`;
  if (cleanup) cleanup();
  main.replaceChildren();
  cleanup = await routes[name].view(main, session);
  main.focus();
}

async function start() {
  try {
    session.me = await get('/me');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      document.getElementById('topbar').hidden = true;
      return loginView(document.getElementById('app'), start);
    }
    throw e;
  }
  session.state = session.me.user.state;
  document.getElementById('topbar').hidden = false;
  session.live = new Live();
  session.live.addEventListener('snapshot', (e) => { session.state = e.detail.state; renderWork(); });
  session.live.addEventListener('agent.state', (e) => {
    if (e.detail.agent_id === session.me.user.id) { session.state = e.detail.state; renderWork(); }
  });
  renderWork();
  window.addEventListener('hashchange', route);
  await route();
}

start();
