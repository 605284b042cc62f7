// Managers: productivity reports for a period (SPEC §4): the team against the previous period
// of equal length, a bar chart of response times and sales per agent, the per-agent table,
// and CSV downloads straight from the API.

import { apiUrl } from '../api.js';
import { h, replace } from '../dom.js';
import { field } from '../forms.js';
import { fmtDuration, fmtMoney, fmtNumber, fmtPercent, ymd } from '../format.js';

const dur = (v) => fmtDuration(v);
const hours = (v) => (v === null || v === undefined ? '—' : Number(v) < 3600 ? fmtDuration(v) : `${fmtNumber(Number(v) / 3600, 1)} h`);
// Money is shown in the currency the server names for the account's reservations.
let currency = null;
const money = (v) => (v === null || v === undefined ? '—' : currency ? fmtMoney(v, currency) : fmtNumber(v, 2));
const num = (v) => fmtNumber(v);
const score = (v) => fmtNumber(v, 2);

// [key, label, format, better: 'up' | 'down' | null]
const TEAM_METRICS = [
  ['incoming', 'Incoming tickets', num, null],
  ['closed', 'Closed', num, 'up'],
  ['replies', 'Replies', num, 'up'],
  ['avg_response_seconds', 'Average response', dur, 'down'],
  ['median_response_seconds', 'Median response', dur, 'down'],
  ['p90_response_seconds', '90th percentile response', dur, 'down'],
  ['avg_response_seconds_pre_booking', 'Average response, pre-booking', dur, 'down'],
  ['avg_response_seconds_post_booking', 'Average response, post-booking', dur, 'down'],
  ['first_response_seconds_avg', 'First response', dur, 'down'],
  ['sla_percent', 'Within SLA', fmtPercent, 'up'],
  ['work_seconds', 'Work time', hours, null],
  ['invisible_seconds', 'Invisible time', hours, 'down'],
  ['conversion_percent', 'Conversion', fmtPercent, 'up'],
  ['sales', 'Sales', money, 'up'],
  ['tickets_per_work_hour', 'Tickets per work hour', (v) => fmtNumber(v, 1), 'up'],
  ['reassigned_away', 'Reassigned away', num, null],
  ['pending', 'Pending at end', num, 'down'],
  ['reviews', 'Guest reviews', num, null],
  ['communication_score_avg', 'Communication score (1–5)', score, 'up'],
  ['returned', 'Returned unopened', num, 'down'],
  ['remarketing_tries', 'Remarketing tries', num, null],
  ['remarketing_booked', 'Booked after remarketing', num, 'up'],
];

const AGENT_COLUMNS = [
  ['incoming', 'Incoming', num],
  ['reassigned_away', 'Moved away', num],
  ['pending', 'Pending', num],
  ['closed', 'Closed', num],
  ['replies', 'Replies', num],
  ['avg_response_seconds', 'Avg response', dur],
  ['median_response_seconds', 'Median', dur],
  ['p90_response_seconds', 'P90', dur],
  ['avg_response_seconds_pre_booking', 'Avg pre-booking', dur],
  ['avg_response_seconds_post_booking', 'Avg post-booking', dur],
  ['first_response_seconds_avg', 'First response', dur],
  ['sla_percent', 'SLA', fmtPercent],
  ['work_seconds', 'Work', hours],
  ['invisible_seconds', 'Invisible', hours],
  ['conversion_percent', 'Conversion', fmtPercent],
  ['sales', 'Sales', money],
  ['tickets_per_work_hour', 'Tickets / h', (v) => fmtNumber(v, 1)],
  ['reviews', 'Reviews', num],
  ['communication_score_avg', 'Comm. score', score],
  ['returned', 'Returned', num],
  ['remarketing_tries', 'Remarketing', num],
  ['remarketing_booked', 'Booked after', num],
];

/** A period bound (RFC 3339) as a local date; an exclusive end shows the day before. */
function fmtDay(iso, exclusiveEnd = false) {
  const d = new Date(Date.parse(iso) - (exclusiveEnd ? 1 : 0));
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

function addDays(date, n) {
  const d = new Date(date);
  d.setDate(d.getDate() + n);
  return d;
}

/** Presets as [from, through] local dates (inclusive). */
function preset(name) {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  const first = new Date(today.getFullYear(), today.getMonth(), 1);
  switch (name) {
    case 'today':
      return [today, today];
    case 'last7':
      return [addDays(today, -6), today];
    case 'last_month':
      return [new Date(today.getFullYear(), today.getMonth() - 1, 1), addDays(first, -1)];
    case 'last30':
      return [addDays(today, -29), today];
    default:
      return [first, today];
  }
}

/** A horizontal bar chart as inline SVG; `rows` are [{label, value, text}]. */
export function barChart(title, rows, colorVar) {
  const barH = 26;
  const gap = 8;
  const labelW = 150;
  const width = 640;
  const valueW = 110;
  const max = Math.max(0, ...rows.map((r) => r.value || 0));
  if (!rows.length) return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), h('p', { class: 'muted' }, 'No data for this period.'));
  const height = rows.length * (barH + gap) + 8;
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `${title}: ${rows.map((r) => `${r.label} ${r.text}`).join(', ') || 'no data'}`, preserveAspectRatio: 'xMinYMin meet' });
  rows.forEach((r, i) => {
    const y = 4 + i * (barH + gap);
    const w = max > 0 && r.value ? Math.max(2, ((width - labelW - valueW) * r.value) / max) : 0;
    svg.append(
      h('svg:text', { x: labelW - 8, y: y + barH * 0.68, 'text-anchor': 'end', class: 'chart-label' }, r.label.length > 20 ? `${r.label.slice(0, 19)}…` : r.label),
      h('svg:rect', { x: labelW, y, width: w, height: barH, rx: 3, style: `fill: var(${colorVar})` }, h('svg:title', {}, `${r.label}: ${r.text}`)),
      h('svg:text', { x: labelW + w + 6, y: y + barH * 0.68, class: 'chart-value' }, r.text),
    );
  });
  return h('figure', { class: 'chart-figure' }, h('figcaption', {}, title), svg);
}

function delta(cur, prev, better) {
  if (cur === null || cur === undefined || prev === null || prev === undefined || Number(prev) === 0) return h('td', { class: 'num muted' }, '—');
  const change = ((Number(cur) - Number(prev)) / Math.abs(Number(prev))) * 100;
  const good = better === 'up' ? change > 0 : better === 'down' ? change < 0 : null;
  const cls = Math.abs(change) < 0.5 || good === null ? 'muted' : good ? 'good' : 'bad';
  const arrow = change > 0 ? '▲' : change < 0 ? '▼' : '';
  return h('td', { class: `num delta ${cls}` }, `${arrow} ${fmtNumber(Math.abs(change), 1)} %`);
}

export function render({ root, api }) {
  const [f0, t0] = preset('this_month');
  const presetSel = h(
    'select',
    { name: 'preset' },
    h('option', { value: 'this_month' }, 'This month'),
    h('option', { value: 'last_month' }, 'Last month'),
    h('option', { value: 'last7' }, 'Last 7 days'),
    h('option', { value: 'last30' }, 'Last 30 days'),
    h('option', { value: 'today' }, 'Today'),
    h('option', { value: 'custom' }, 'Custom'),
  );
  const fromIn = h('input', { type: 'date', name: 'from', value: ymd(f0), required: true });
  const throughIn = h('input', { type: 'date', name: 'through', value: ymd(t0), required: true });
  const showBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Show');
  const csvAgents = h('a', { class: 'btn', download: 'agents-report.csv' }, 'Download CSV');
  const csvTeam = h('a', { class: 'btn btn-quiet', download: 'team-report.csv' }, 'Team CSV');
  const form = h('form', { class: 'period-form', 'aria-label': 'Report period' }, field('Period', presetSel), field('From', fromIn), field('Through (inclusive)', throughIn), showBtn, h('span', { class: 'downloads' }, csvAgents, csvTeam));
  const status = h('p', { role: 'status', class: 'list-status' });
  const teamEl = h('section', { class: 'report-team', 'aria-labelledby': 'team-title' });
  const salesEl = h('section', { class: 'report-sales', 'aria-labelledby': 'sales-title' });
  const chartsEl = h('section', { class: 'report-charts', 'aria-label': 'Charts' });
  const agentsEl = h('section', { class: 'report-agents', 'aria-labelledby': 'agents-report-title' });

  presetSel.addEventListener('change', () => {
    if (presetSel.value === 'custom') return fromIn.focus();
    const [f, t] = preset(presetSel.value);
    fromIn.value = ymd(f);
    throughIn.value = ymd(t);
    load();
  });
  for (const el of [fromIn, throughIn]) el.addEventListener('change', () => (presetSel.value = 'custom'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load();
  });

  function period() {
    const from = fromIn.value;
    const to = throughIn.value ? ymd(addDays(new Date(`${throughIn.value}T00:00:00`), 1)) : '';
    return { from, to };
  }

  let loadSeq = 0;
  async function load() {
    const { from, to } = period();
    if (!from || !to || from >= to) {
      status.textContent = 'Choose a start date on or before the end date.';
      return;
    }
    csvAgents.href = apiUrl('/reports/agents', { from, to, format: 'csv' });
    csvTeam.href = apiUrl('/reports/team', { from, to, compare: 'previous', format: 'csv' });
    const mine = ++loadSeq;
    status.textContent = 'Loading the report…';
    try {
      const [agents, team] = await Promise.all([api.agentReport(from, to), api.teamReport(from, to)]);
      if (mine !== loadSeq) return;
      status.textContent = '';
      currency = (team && team.sales && team.sales.currency) || null;
      drawTeam(team);
      drawSales(team && team.sales);
      drawCharts((agents && agents.items) || []);
      drawAgents((agents && agents.items) || []);
    } catch (e) {
      if (mine !== loadSeq) return;
      status.textContent = e.status === 404 ? 'Reports are not available on this server yet.' : e.message;
      teamEl.replaceChildren();
      salesEl.replaceChildren();
      chartsEl.replaceChildren();
      agentsEl.replaceChildren();
    }
  }

  function drawTeam(team) {
    const cur = (team && team.current) || {};
    const prev = (team && team.previous) || null;
    replace(
      teamEl,
      h('h2', { id: 'team-title' }, 'Team'),
      prev && team.previous_from
        ? h('p', { class: 'muted' }, `Compared with the previous period of equal length: ${fmtDay(team.previous_from)} – ${fmtDay(team.previous_to, true)}.`)
        : null,
      h(
        'div',
        { class: 'table-wrap compare-wrap' },
        h(
          'table',
          { class: 'data-table compare' },
          h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col', class: 'num' }, 'This period'), prev ? [h('th', { scope: 'col', class: 'num' }, 'Previous period'), h('th', { scope: 'col', class: 'num' }, 'Change')] : null)),
          h(
            'tbody',
            {},
            TEAM_METRICS.map(([key, label, fmt, better]) =>
              h('tr', {}, h('th', { scope: 'row' }, label), h('td', { class: 'num' }, fmt(cur[key])), prev ? [h('td', { class: 'num' }, fmt(prev[key])), delta(cur[key], prev[key], better)] : null),
            ),
          ),
        ),
      ),
    );
  }

  // Sales KPIs the server adds to the team report (today, pipeline, top seller, month by agent).
  function drawSales(sales) {
    if (!sales) return salesEl.replaceChildren();
    const kpi = (label, value, sub) => h('div', { class: 'kpi' }, h('span', { class: 'kpi-label' }, label), h('span', { class: 'kpi-value' }, value), sub ? h('span', { class: 'kpi-sub' }, sub) : null);
    const top = sales.top_seller_today;
    const month = sales.sales_this_month_by_agent || [];
    replace(
      salesEl,
      h('h2', { id: 'sales-title' }, currency ? `Sales (${currency})` : 'Sales'),
      h(
        'div',
        { class: 'kpis' },
        kpi('Sales today', money(sales.today_sales), 'converted from inquiries an agent answered, as in Sales below'),
        kpi('Potential', money(sales.potential_sales), `${fmtNumber(sales.open_inquiries || 0)} open inquiries`),
        kpi('Conversion', fmtPercent(sales.conversion_percent), 'this period'),
        kpi('Top seller today', top ? top.agent_name || '—' : '—', top ? money(top.sales) : 'no sales yet'),
      ),
      month.length
        ? h('ol', { class: 'sales-month', 'aria-label': 'Sales this month by agent' }, month.map((a) => h('li', {}, h('span', {}, a.agent_name || `Agent ${a.agent_id}`), ' ', h('strong', {}, money(a.sales)))))
        : null,
    );
  }

  function drawCharts(rows) {
    const named = rows.map((r) => ({ ...r, label: r.agent_name || `Agent ${r.agent_id}` }));
    replace(
      chartsEl,
      barChart('Average response time per agent', named.filter((r) => r.avg_response_seconds != null).map((r) => ({ label: r.label, value: r.avg_response_seconds, text: dur(r.avg_response_seconds) })), '--chart-a'),
      barChart('Sales per agent', named.map((r) => ({ label: r.label, value: Number(r.sales) || 0, text: money(r.sales) })), '--chart-b'),
    );
  }

  function drawAgents(rows) {
    replace(
      agentsEl,
      h('h2', { id: 'agents-report-title' }, 'Agents'),
      rows.length
        ? h(
            'div',
            // Focusable, so a keyboard user can scroll the wide table sideways.
            { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'agents-report-title' },
            h(
              'table',
              { class: 'data-table report-table' },
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Agent'), AGENT_COLUMNS.map(([, label]) => h('th', { scope: 'col', class: 'num' }, label)))),
              h('tbody', {}, rows.map((r) => h('tr', { dataset: { agentId: String(r.agent_id) } }, h('th', { scope: 'row' }, r.agent_name || r.agent_id), AGENT_COLUMNS.map(([key, , fmt]) => h('td', { class: 'num' }, fmt(r[key])))))),
            ),
          )
        : h('p', { class: 'muted' }, 'No agent activity in this period.'),
    );
  }

  root.append(h('section', { class: 'page', 'aria-labelledby': 'reports-title' }, h('h1', { id: 'reports-title' }, 'Reports'), form, status, teamEl, salesEl, chartsEl, agentsEl));
  load();
}
