// The agent inbox: tabs, search and filters, the ticket list, and the open ticket. New
// tickets, reassignments and messages arrive live; a ticket taken away shows a short notice.

import { get } from '../api.js';
import { h, notice, when } from '../dom.js';
import { ticketPane } from './ticket.js';

const TABS = [['unanswered', 'Unanswered'], ['mine', 'My tickets'], ['pending', 'Pending'], ['done', 'Done'], ['all', 'All']];
const REASONS = { rebalanced: 'moved to a less busy colleague', agent_left: 'handed back', manager: 'reassigned by a manager' };

function beep() {
  const ctx = new AudioContext();
  const osc = ctx.createOscillator();
  osc.frequency.value = 880;
  osc.connect(ctx.destination);
  osc.start();
  osc.stop(ctx.currentTime + 0.15);
}

export async function inboxView(main, session) {
  const me = session.me.user;
  const state = { tab: 'unanswered', selected: null, mine: new Map(), sound: false };
  const badge = h('span', { class: 'badge', id: 'unanswered-badge' }, '0');
  const list = h('ul', { class: 'tickets', id: 'ticket-list', 'aria-label': 'Tickets' });
  const pane = h('section', { class: 'card', id: 'ticket-pane', 'aria-label': 'Ticket' }, h('p', { class: 'muted' }, 'Pick a ticket.'));
  const q = h('input', { type: 'search', name: 'q', placeholder: 'Guest name or reservation id', 'aria-label': 'Search' });
  const select = (name, label, options) => h('label', {}, label, h('select', { name }, h('option', { value: '' }, 'Any'), ...options.map((o) => h('option', { value: o }, o))));
  const filters = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); load(); } },
    q,
    select('channel', 'Channel', ['airbnb', 'booking', 'vrbo', 'direct', 'email', 'sms']),
    select('stage', 'Stage', ['pre_booking', 'booked', 'staying', 'post_stay']),
    select('status', 'Status', ['queued', 'assigned', 'opened', 'pending', 'done']),
    h('label', {}, 'Listing', h('input', { name: 'listing', size: 10 })),
    h('label', {}, 'From', h('input', { name: 'from', type: 'date' })),
    h('label', {}, 'To', h('input', { name: 'to', type: 'date' })),
    h('button', { type: 'submit' }, 'Filter'));
  const tabs = h('div', { role: 'tablist', 'aria-label': 'Views' }, ...TABS.map(([id, label]) =>
    h('button', { role: 'tab', id: `tab-${id}`, 'aria-selected': String(id === state.tab), 'aria-controls': 'ticket-list',
      onclick: () => { state.tab = id; tabs.querySelectorAll('[role=tab]').forEach((t) => t.setAttribute('aria-selected', String(t.id === `tab-${id}`))); load(); } }, label)));
  const sound = h('label', {}, h('input', { type: 'checkbox', onchange: (e) => { state.sound = e.target.checked; } }), 'Sound on new tickets');

  function updateBadge() {
    const n = [...state.mine.values()].filter((t) => t.unanswered).length;
    badge.textContent = String(n);
    document.title = `${n ? `(${n}) ` : ''}Inbox · Switchboard`;
  }

  async function load() {
    const params = new URLSearchParams({ view: state.tab });
    for (const [k, v] of new FormData(filters)) if (v) params.set(k, v);
    if (q.value) params.set('q', q.value);
    try {
      const page = await get(`/tickets?${params}`);
      list.replaceChildren(...page.items.map((t) => h('li', {},
        h('button', { class: t.unanswered ? 'unanswered' : '', 'data-ticket': t.id, 'aria-current': String(t.id === state.selected),
          onclick: () => select_(t.id) },
          h('strong', {}, t.guest.name),
          h('span', { class: 'muted' }, `${t.channel} · ${t.stage.replace('_', ' ')} · ${t.state}`),
          h('span', { class: 'muted' }, when(t.created_at))))));
      if (!page.items.length) list.replaceChildren(h('li', { class: 'muted' }, 'Nothing here.'));
    } catch (e) {
      list.replaceChildren(h('li', { class: 'error' }, e.message));
    }
  }

  async function select_(id) {
    state.selected = id;
    list.querySelectorAll('[data-ticket]').forEach((b) => b.setAttribute('aria-current', String(b.dataset.ticket === id)));
    await ticketPane(pane, id, session, () => load());
  }

  let pending = null;
  const refresh = () => { clearTimeout(pending); pending = setTimeout(load, 150); };
  const on = {
    snapshot: (f) => { state.mine = new Map(f.tickets.map((t) => [t.id, t])); updateBadge(); refresh(); },
    'ticket.assigned': (f) => {
      state.mine.set(f.ticket.id, f.ticket);
      updateBadge();
      notice(`New ticket from ${f.ticket.guest.name}`);
      if (state.sound) beep();
      refresh();
    },
    'ticket.updated': (f) => {
      if (f.ticket.assignee_id === me.id && f.ticket.state !== 'done') state.mine.set(f.ticket.id, f.ticket);
      else state.mine.delete(f.ticket.id);
      updateBadge();
      refresh();
      if (f.ticket.id === state.selected) ticketPane(pane, f.ticket.id, session, () => load());
    },
    'ticket.unassigned': (f) => {
      state.mine.delete(f.ticket_id);
      updateBadge();
      notice(`A ticket was ${REASONS[f.reason] || 'moved'}.`);
      if (f.ticket_id === state.selected) pane.replaceChildren(h('p', { class: 'muted' }, 'This ticket was moved to someone else.'));
      refresh();
    },
    'message.created': (f) => { if (f.ticket_id === state.selected) ticketPane(pane, f.ticket_id, session, () => load()); },
  };
  for (const [type, fn] of Object.entries(on)) session.live.addEventListener(type, on[type] = (e) => fn(e.detail));

  main.append(h('div', { class: 'inbox' },
    h('section', { 'aria-label': 'Ticket list' }, h('h1', {}, 'Inbox ', badge), tabs, filters, sound, list),
    pane));
  const snapshot = await get('/tickets?view=mine&limit=200');
  state.mine = new Map(snapshot.items.map((t) => [t.id, t]));
  updateBadge();
  await load();
  return () => { for (const [type, fn] of Object.entries(on)) session.live.removeEventListener(type, fn); };
}
