// The manager wallboard: big live tiles, agents by state with their loads and a "working
// since" clock, and the tickets at risk with Reassign and Open. Readable across the room.

import { get, post } from '../api.js';
import { h, duration, notice } from '../dom.js';

function tile(id, label, value, bad) {
  return h('div', { class: `tile${bad ? ' bad' : ''}`, id }, h('div', { class: 'value' }, value), h('div', { class: 'label' }, label));
}

export async function wallboardView(main, session) {
  let agents = [];
  const tiles = h('section', { class: 'tiles', 'aria-label': 'Live figures', 'aria-live': 'polite' });
  const people = h('section', { 'aria-label': 'Agents' });
  const risk = h('section', { 'aria-label': 'Tickets at risk' });
  const pane = h('section', { class: 'card', id: 'wall-ticket', hidden: true });

  function render(w) {
    agents = w.agents;
    tiles.replaceChildren(
      tile('tile-queued', 'Queued', w.queued, w.queued > 0),
      tile('tile-oldest', 'Oldest waiting', duration(w.oldest_queued_seconds), w.oldest_queued_seconds > w.sla_seconds),
      tile('tile-unanswered', 'Unanswered', w.unanswered, false),
      tile('tile-sla', 'SLA today', w.today.sla_percent === null ? '—' : `${w.today.sla_percent}%`, w.today.sla_percent !== null && w.today.sla_percent < 90),
      tile('tile-avg', 'Avg response today', duration(w.today.avg_response_seconds), false),
      tile('tile-working', 'Working / paused / away', `${w.agents_by_state.working} / ${w.agents_by_state.paused} / ${w.agents_by_state.away}`, false),
    );
    const now = Date.now();
    people.replaceChildren(h('h2', {}, 'Agents'), h('table', {},
      h('thead', {}, h('tr', {}, ...['Agent', 'State', 'Working since', 'Unanswered', 'Active'].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...w.agents.map((a) => h('tr', { 'data-agent': a.id },
        h('td', {}, a.name), h('td', {}, h('span', { class: `dot ${a.presence}` }), ' ', a.state),
        h('td', {}, a.working_since ? duration((now - Date.parse(a.working_since)) / 1000) : '—'),
        h('td', {}, a.unanswered), h('td', {}, a.active))))));
    const rows = [
      ...w.breaching_sla.map((t) => [t, 'SLA breached']),
      ...w.at_risk.map((t) => [t, 'Agent left']),
      ...w.pending.map((t) => [t, 'Pending']),
    ];
    risk.replaceChildren(h('h2', {}, 'At risk'), rows.length ? h('table', {},
      h('thead', {}, h('tr', {}, ...['Guest', 'Why', 'State', 'Reassign', ''].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, ...rows.map(([t, why]) => {
        const pick = h('select', { 'aria-label': `Reassign ${t.guest.name}` }, h('option', { value: '' }, 'Choose an agent…'),
          ...agents.map((a) => h('option', { value: a.id }, `${a.name} (${a.state})`)));
        return h('tr', { 'data-ticket': t.id },
          h('td', {}, t.guest.name), h('td', {}, why), h('td', {}, t.state),
          h('td', {}, pick, h('button', { onclick: async () => {
            if (!pick.value) return pick.focus();
            try { await post(`/tickets/${t.id}/assign`, { agent_id: pick.value }); notice('Ticket reassigned'); refresh(); } catch (e) { notice(e.message); }
          } }, 'Reassign')),
          h('td', {}, h('button', { onclick: () => open(t.id) }, 'Open')));
      }))) : h('p', { class: 'muted' }, 'Nothing at risk.'));
  }

  async function open(id) {
    const { ticketPane } = await import('./ticket.js');
    pane.hidden = false;
    await ticketPane(pane, id, session, refresh);
  }

  async function refresh() {
    try { render(await get('/wallboard')); } catch (e) { tiles.replaceChildren(h('p', { class: 'error' }, e.message)); }
  }

  const onFrame = (e) => render(e.detail.wallboard);
  session.live.addEventListener('wallboard', onFrame);
  const clock = setInterval(() => agents.length && refresh(), 30000);
  main.append(h('div', { class: 'wallboard' }, h('h1', {}, 'Wallboard'), tiles, h('div', { class: 'grid2' }, people, risk), pane));
  await refresh();
  return () => { session.live.removeEventListener('wallboard', onFrame); clearInterval(clock); };
}
