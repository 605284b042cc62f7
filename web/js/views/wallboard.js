// The manager's wallboard, made to be read on a TV across the room: big tiles (queue, oldest
// waiting, unanswered, the live service level beside today's reply SLA, response time today),
// agents by state with their loads and a "working since" clock, the ten most urgent tickets at
// risk with Reassign and Open ("Show all" for the rest), and the open alerts with Acknowledge.
// It loads `GET /wallboard` and `GET /alerts`, then follows the socket's `wallboard` and
// `alert` events (polling as a fallback); a new alert also shows as a browser notification
// when the manager allowed them.

import { assignTicket } from '../assign.js';
import { h, replace } from '../dom.js';
import { busy } from '../forms.js';
import { alertLabel, channelLabel, stageLabel, stateLabel } from '../labels.js';
import { fmtDuration, fmtShort, fmtTime, fmtNumber, secondsSince } from '../format.js';

const POLL_MS = 15_000;
/** At-risk cards shown before "Show all": a room reads ten, not sixty. */
const RISK_SHOWN = 10;
const STATE_LABEL = { working: 'Working', paused: 'Paused', away: 'Away', offline: 'Offline' };
const STATE_ORDER = { working: 0, paused: 1, away: 2, offline: 3 };

export function render(ctx) {
  const { root, api, live, notify } = ctx;
  let board = live.wallboard;
  let receivedAt = Date.now();
  let unavailable = false;
  let lastLive = 0;
  const disposers = [];

  const tiles = h('section', { class: 'tiles', 'aria-label': 'Live figures' });
  const agentsSection = h('section', { class: 'wb-agents', 'aria-labelledby': 'wb-agents-title' });
  const riskSection = h('section', { class: 'wb-risk', 'aria-labelledby': 'wb-risk-title' });
  const alertsSection = h('section', { class: 'wb-alerts', 'aria-labelledby': 'wb-alerts-title' });
  const groupsSection = h('section', { class: 'wb-groups', 'aria-labelledby': 'wb-groups-title' });
  let alerts = [];
  const status = h('p', { class: 'wb-status', role: 'status' });
  const fullBtn = h('button', { type: 'button', class: 'btn btn-quiet', id: 'wb-fullscreen' });
  const drawFullBtn = () => {
    fullBtn.textContent = document.fullscreenElement ? 'Exit full screen' : 'Full screen';
  };
  fullBtn.addEventListener('click', () => {
    const el = root.querySelector('.wallboard');
    if (document.fullscreenElement) document.exitFullscreen();
    else if (el && el.requestFullscreen) el.requestFullscreen().catch(() => {});
  });
  document.addEventListener('fullscreenchange', drawFullBtn);
  disposers.push(() => document.removeEventListener('fullscreenchange', drawFullBtn));
  drawFullBtn();
  let showAllRisk = false;
  // The agent a manager picked for each at-risk ticket, kept across the live redraws (every
  // board change redraws the list; a pick must not vanish between choosing and clicking).
  const picked = new Map();

  /** Seconds of an age figure, advanced by the time since the board was computed. */
  const aged = (s) => (s === null || s === undefined ? null : Number(s) + (Date.now() - receivedAt) / 1000);

  function tile(id, label, value, sub, tone = '') {
    return h('div', { class: `tile ${tone}`, id: `tile-${id}` }, h('span', { class: 'tile-label' }, label), h('span', { class: 'tile-value', dataset: { tile: id } }, value), sub ? h('span', { class: 'tile-sub' }, sub) : null);
  }

  function drawTiles() {
    if (!board) return;
    const today = board.today || {};
    const sla = board.sla_seconds;
    const oldest = aged(board.oldest_queued_seconds);
    const longest = aged(board.longest_unanswered_seconds);
    const slaPct = today.sla_percent;
    // Coloured by the live service level: guests waiting past the SLA count against it.
    const level = today.service_level_percent;
    const byState = board.agents_by_state || {};
    replace(
      tiles,
      tile('queued', 'Queued', fmtNumber(board.queued), board.queued ? 'waiting for an agent' : 'nobody waiting', board.queued ? 'tone-warn' : 'tone-ok'),
      tile('oldest', 'Oldest waiting', oldest === null ? '—' : fmtShort(oldest), 'in the queue', oldest !== null && sla && oldest > sla ? 'tone-bad' : ''),
      tile('unanswered', 'Unanswered', fmtNumber(board.unanswered), longest === null ? 'all answered' : `longest ${fmtShort(longest)}`, longest !== null && sla && longest > sla ? 'tone-bad' : ''),
      tile(
        'sla',
        'Service level',
        level === null || level === undefined ? '—' : `${Math.round(level)}%`,
        [
          sla ? `replies within ${fmtDuration(sla)} today: ${slaPct === null || slaPct === undefined ? '—' : `${Math.round(slaPct)}%`}` : null,
          today.waiting_past_sla ? `${fmtNumber(today.waiting_past_sla)} waiting past the SLA` : null,
        ]
          .filter(Boolean)
          .join(' · '),
        level === null || level === undefined ? '' : level >= 90 ? 'tone-ok' : level >= 75 ? 'tone-warn' : 'tone-bad',
      ),
      tile('response', 'Average response', fmtShort(today.avg_response_seconds), today.median_response_seconds != null ? `median ${fmtShort(today.median_response_seconds)}` : `${fmtNumber(today.replies || 0)} replies today`),
      tile('agents', 'Agents working', fmtNumber(byState.working || 0), `${byState.paused || 0} paused · ${byState.away || 0} away`),
    );
  }

  // Queues per routing group: hidden while the account has none.
  function drawGroups() {
    const groups = (board && board.groups) || [];
    groupsSection.hidden = !groups.length;
    if (!groups.length) return groupsSection.replaceChildren();
    const sla = board.sla_seconds;
    replace(
      groupsSection,
      h('h2', { id: 'wb-groups-title' }, 'Queues by group'),
      h(
        'table',
        { class: 'wb-table' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Group'), h('th', { scope: 'col', class: 'num' }, 'Queued'), h('th', { scope: 'col', class: 'num' }, 'Oldest waiting'), h('th', { scope: 'col', class: 'num' }, 'Working'))),
        h(
          'tbody',
          {},
          groups.map((g) => {
            const oldest = aged(g.oldest_queued_seconds);
            const short = g.min_agents > 0 && g.working < g.min_agents;
            return h(
              'tr',
              { dataset: { groupId: String(g.id) }, class: g.queued ? 'tone-warn' : '' },
              h('th', { scope: 'row' }, g.name),
              h('td', { class: 'num', dataset: { queued: String(g.queued) } }, fmtNumber(g.queued)),
              h('td', { class: `num ${oldest !== null && sla && oldest > sla ? 'tone-bad' : ''}` }, oldest === null ? '—' : fmtShort(oldest)),
              h('td', { class: `num ${short ? 'tone-bad' : ''}` }, g.min_agents > 0 ? `${fmtNumber(g.working)} of ${fmtNumber(g.min_agents)} needed` : fmtNumber(g.working)),
            );
          }),
        ),
      ),
    );
  }

  function workingSince(a) {
    if (!a.working_since) return '—';
    return [h('span', { class: 'since-clock' }, fmtTime(a.working_since)), ' ', h('span', { class: 'since-for' }, fmtShort(secondsSince(a.working_since)))];
  }

  function drawAgents() {
    if (!board) return;
    const agents = [...(board.agents || [])].sort((x, y) => (STATE_ORDER[x.state] ?? 9) - (STATE_ORDER[y.state] ?? 9) || y.unanswered - x.unanswered || String(x.name).localeCompare(y.name));
    replace(
      agentsSection,
      h('h2', { id: 'wb-agents-title' }, 'Agents'),
      agents.length
        ? h(
            'div',
            { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'wb-agents-title' },
            h(
            'table',
            { class: 'wb-table' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Agent'), h('th', { scope: 'col' }, 'State'), h('th', { scope: 'col', class: 'num' }, 'Unanswered'), h('th', { scope: 'col', class: 'num' }, 'Active'), h('th', { scope: 'col' }, 'Working since'))),
            h(
              'tbody',
              {},
              agents.map((a) =>
                h(
                  'tr',
                  { dataset: { agentId: String(a.id) } },
                  h('th', { scope: 'row' }, a.name),
                  h('td', {}, h('span', { class: `state-dot state-${a.state}`, 'aria-hidden': 'true' }), ' ', STATE_LABEL[a.state] || a.state),
                  h('td', { class: 'num' }, fmtNumber(a.unanswered)),
                  h('td', { class: 'num' }, fmtNumber(a.active)),
                  h('td', { class: 'working-since', dataset: { since: a.working_since || '' } }, workingSince(a)),
                ),
              ),
            ),
            ),
          )
        : h('p', { class: 'muted' }, 'No agents yet.'),
    );
  }

  function riskRows() {
    const rows = new Map();
    const add = (list, reason) => {
      for (const t of list || []) {
        const id = String(t.id);
        if (!rows.has(id)) rows.set(id, { ticket: t, reasons: [] });
        rows.get(id).reasons.push(reason);
      }
    };
    add(board.breaching_sla, 'SLA breached');
    add(board.at_risk, 'Agent left');
    add(board.pending, 'Pending');
    // Most urgent first: a breached SLA, then the longest wait.
    const since = (t) => Date.parse(t.awaiting_reply_since || t.created_at) || Infinity;
    const breached = (r) => (r.reasons.includes('SLA breached') ? 0 : 1);
    return [...rows.values()].sort((a, b) => breached(a) - breached(b) || since(a.ticket) - since(b.ticket));
  }

  function drawRisk() {
    if (!board) return;
    const names = new Map((board.agents || []).map((a) => [String(a.id), a.name]));
    const choices = (board.agents || []).filter((a) => a.state === 'working' || a.state === 'paused');
    const all = riskRows();
    const rows = showAllRisk ? all : all.slice(0, RISK_SHOWN);
    const focused = document.activeElement;
    const focusedPick = focused && focused.name === 'agent' && riskSection.contains(focused) ? focused.closest('.risk').dataset.ticketId : null;
    let refocus = null;
    const toggle =
      all.length > RISK_SHOWN
        ? h(
            'button',
            {
              type: 'button',
              class: 'btn btn-quiet',
              id: 'wb-risk-toggle',
              onclick: () => {
                showAllRisk = !showAllRisk;
                drawRisk();
              },
            },
            showAllRisk ? `Show the ${RISK_SHOWN} most urgent` : `Show all ${all.length}`,
          )
        : null;
    replace(
      riskSection,
      h('h2', { id: 'wb-risk-title' }, 'At risk ', h('span', { class: 'count' }, `(${all.length})`)),
      all.length > RISK_SHOWN ? h('p', { class: 'muted', id: 'wb-risk-shown' }, `${rows.length} of ${all.length} shown, most urgent first.`) : null,
      rows.length
        ? h(
            'ul',
            { class: 'risk-list' },
            rows.map(({ ticket: t, reasons }) => {
              const id = String(t.id);
              const select = h('select', { 'aria-label': `Reassign ${t.guest ? t.guest.name : 'ticket'} to`, name: 'agent' }, h('option', { value: '' }, 'Pick an agent…'), (choices.length ? choices : board.agents || []).filter((a) => String(a.id) !== String(t.assignee_id)).map((a) => h('option', { value: String(a.id) }, `${a.name} (${a.unanswered})`)));
              if (picked.has(id)) select.value = picked.get(id);
              select.addEventListener('change', () => picked.set(id, select.value));
              if (focusedPick === id) refocus = select;
              const btn = h('button', { type: 'submit', class: 'btn' }, 'Reassign');
              const form = h('form', { class: 'inline-form' }, select, btn);
              form.addEventListener('submit', (ev) => {
                ev.preventDefault();
                if (!select.value) return select.focus();
                busy(btn, async () => {
                  try {
                    const done = await assignTicket(t.id, select.value, names.get(select.value) || 'the agent');
                    if (!done) return;
                    picked.delete(id);
                    notify(done.said);
                    refresh();
                  } catch (e) {
                    notify(e.message, 'error');
                  }
                });
              });
              const waiting = t.awaiting_reply_since ? `waiting ${fmtShort(secondsSince(t.awaiting_reply_since))}` : null;
              return h(
                'li',
                { class: 'risk', dataset: { ticketId: String(t.id) } },
                h(
                  'div',
                  { class: 'risk-what' },
                  h('strong', {}, (t.guest && t.guest.name) || 'Guest'),
                  ' ',
                  reasons.map((r) => h('span', { class: `pill ${r === 'Pending' ? 'pill-warn' : 'pill-alert'}` }, r)),
                  h('span', { class: 'risk-meta' }, [channelLabel(t.channel), stageLabel(t.stage), stateLabel(t.state), t.assignee_id ? names.get(String(t.assignee_id)) || 'another agent' : 'nobody', waiting].filter(Boolean).join(' · ')),
                ),
                h('div', { class: 'risk-actions' }, form, h('a', { class: 'btn btn-quiet', href: `#/tickets/${t.id}` }, 'Open')),
              );
            }),
          )
        : h('p', { class: 'muted big-ok' }, 'Nothing at risk.'),
      toggle,
    );
    if (refocus) refocus.focus();
  }

  function drawAlerts() {
    const askBtn = typeof Notification !== 'undefined' && Notification.permission === 'default' ? h('button', { type: 'button', class: 'btn btn-quiet' }, 'Notify me') : null;
    if (askBtn) askBtn.addEventListener('click', () => Notification.requestPermission().then(drawAlerts));
    replace(
      alertsSection,
      h('h2', { id: 'wb-alerts-title' }, 'Alerts ', h('span', { class: 'count' }, `(${alerts.length})`), askBtn ? ' ' : null, askBtn),
      alerts.length
        ? h(
            'ul',
            { class: 'risk-list' },
            alerts.map((a) => {
              const ack = h('button', { type: 'button', class: 'btn' }, 'Acknowledge');
              ack.addEventListener('click', () =>
                busy(ack, async () => {
                  try {
                    await api.ackAlert(a.id);
                    alerts = alerts.filter((x) => x.id !== a.id);
                    drawAlerts();
                  } catch (e) {
                    notify(e.message, 'error');
                  }
                }),
              );
              return h(
                'li',
                { class: 'risk', dataset: { alertId: String(a.id) } },
                h('div', { class: 'risk-what' }, h('span', { class: 'pill pill-alert' }, alertLabel(a.kind)), h('span', { class: 'risk-meta' }, fmtTime(a.created_at))),
                h('div', { class: 'risk-actions' }, ack, a.ticket_id ? h('a', { class: 'btn btn-quiet', href: `#/tickets/${a.ticket_id}` }, 'Open') : null),
              );
            }),
          )
        : h('p', { class: 'muted' }, 'No open alerts.'),
    );
  }

  async function loadAlerts() {
    try {
      alerts = (await api.alerts('open')).items || [];
    } catch (e) {
      status.textContent = e.message;
    }
    drawAlerts();
  }

  const onAlert = (e) => {
    const a = e.detail.alert;
    if (!a || a.id == null || alerts.some((x) => x.id === a.id)) return;
    alerts = [a, ...alerts];
    drawAlerts();
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
      try {
        new Notification('Switchboard', { body: alertLabel(a.kind), tag: `alert-${a.id}` });
      } catch {
        // Some browsers only notify from a service worker; the list above still shows it.
      }
    }
  };
  live.addEventListener('alert', onAlert);
  disposers.push(() => live.removeEventListener('alert', onAlert));

  function draw() {
    if (unavailable && !board) {
      replace(tiles, h('p', { class: 'panel' }, 'Wallboard data not available yet.'));
      agentsSection.replaceChildren();
      riskSection.replaceChildren();
      return;
    }
    if (!board) {
      replace(tiles, h('p', { class: 'loading' }, 'Loading the wallboard…'));
      return;
    }
    drawTiles();
    drawGroups();
    drawAgents();
    drawRisk();
    status.textContent = `Updated ${fmtTime(board.generated_at || new Date(receivedAt).toISOString())}${live.status === 'live' ? ' · live' : ''}`;
  }

  async function refresh() {
    try {
      const data = await api.wallboard();
      board = data;
      receivedAt = Date.now();
      unavailable = false;
    } catch (e) {
      if (e.status === 404) unavailable = true;
      else status.textContent = e.message;
    }
    draw();
  }

  const onBoard = (e) => {
    board = e.detail.wallboard;
    receivedAt = Date.now();
    lastLive = Date.now();
    unavailable = false;
    draw();
  };
  live.addEventListener('wallboard', onBoard);
  disposers.push(() => live.removeEventListener('wallboard', onBoard));

  // Poll only while the socket brings nothing (or the endpoint is missing).
  const poll = setInterval(() => {
    if (Date.now() - lastLive > POLL_MS) refresh();
  }, POLL_MS);
  // Clocks tick every few seconds between updates.
  const clock = setInterval(() => {
    if (!board) return;
    drawTiles();
    for (const el of agentsSection.querySelectorAll('.working-since')) {
      if (el.dataset.since) replace(el, workingSince({ working_since: el.dataset.since }));
    }
  }, 5000);
  disposers.push(() => clearInterval(poll), () => clearInterval(clock));

  root.append(
    h(
      'section',
      { class: 'wallboard', 'aria-labelledby': 'wb-title' },
      h('div', { class: 'wb-head' }, h('h1', { id: 'wb-title' }, 'Wallboard'), status, fullBtn),
      tiles,
      groupsSection,
      h('div', { class: 'wb-columns' }, agentsSection, riskSection),
      alertsSection,
    ),
  );
  draw();
  refresh();
  loadAlerts();
  return () => disposers.forEach((d) => d());
}
