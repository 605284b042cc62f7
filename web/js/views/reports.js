// Managers: productivity reports for a period, month over month, a chart of response times
// and sales per agent, and CSV downloads.

import { get } from '../api.js';
import { h, field, duration } from '../dom.js';

function bars(rows, key, label, format) {
  const max = Math.max(1, ...rows.map((r) => r[key] || 0));
  const height = 24;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 600 ${rows.length * height + 10}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  rows.forEach((r, i) => {
    const w = ((r[key] || 0) / max) * 380;
    svg.insertAdjacentHTML('beforeend',
      `<text x="0" y="${i * height + 16}" font-size="13"></text><rect x="160" y="${i * height + 4}" width="${w}" height="16" fill="#1f6feb"></rect><text x="${170 + w}" y="${i * height + 16}" font-size="13"></text>`);
    const texts = svg.querySelectorAll('text');
    texts[texts.length - 2].textContent = r.agent_name;
    texts[texts.length - 1].textContent = format(r[key]);
  });
  return h('figure', { class: 'chart card' }, h('figcaption', {}, label), svg);
}

export async function reportsView(main) {
  const today = new Date();
  const first = new Date(today.getFullYear(), today.getMonth(), 1);
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const from = h('input', { type: 'date', name: 'from', value: iso(first) });
  const to = h('input', { type: 'date', name: 'to', value: iso(new Date(today.getTime() + 86400000)) });
  const out = h('section', { 'aria-live': 'polite' });
  const csv = h('a', { class: 'button', id: 'download-csv', download: 'agents-report.csv' }, 'Download CSV');

  async function load() {
    const q = `from=${from.value}&to=${to.value}`;
    csv.href = `/api/v1/reports/agents?${q}&format=csv`;
    try {
      const [agents, team] = await Promise.all([get(`/reports/agents?${q}`), get(`/reports/team?${q}&compare=previous`)]);
      const cols = [['Agent', (r) => r.agent_name], ['Incoming', (r) => r.incoming], ['Closed', (r) => r.closed], ['Replies', (r) => r.replies],
        ['Avg response', (r) => duration(r.avg_response_seconds)], ['Median', (r) => duration(r.median_response_seconds)], ['p90', (r) => duration(r.p90_response_seconds)],
        ['SLA', (r) => (r.sla_percent === null ? '—' : `${r.sla_percent}%`)], ['Work', (r) => duration(r.work_seconds)], ['Invisible', (r) => duration(r.invisible_seconds)],
        ['Conversion', (r) => (r.conversion_percent === null ? '—' : `${r.conversion_percent}%`)], ['Sales', (r) => r.sales], ['Tickets/h', (r) => r.tickets_per_work_hour ?? '—']];
      const compare = (label, now, before, fmt = (x) => x ?? '—') => h('tr', {}, h('th', { scope: 'row' }, label), h('td', {}, fmt(now)), h('td', {}, fmt(before)));
      const c = team.current;
      const p = team.previous || {};
      out.replaceChildren(
        h('h2', {}, 'Team, compared with the previous period'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col' }, 'This period'), h('th', { scope: 'col' }, 'Previous'))),
          h('tbody', {}, compare('Incoming', c.incoming, p.incoming), compare('Closed', c.closed, p.closed), compare('Replies', c.replies, p.replies),
            compare('Avg response', c.avg_response_seconds, p.avg_response_seconds, duration), compare('SLA %', c.sla_percent, p.sla_percent),
            compare('Conversion %', c.conversion_percent, p.conversion_percent), compare('Sales', c.sales, p.sales))),
        h('p', {}, `Today's sales: ${team.sales.today_sales} · potential: ${team.sales.potential_sales} · top seller today: ${team.sales.top_seller_today?.agent_name || '—'}`),
        h('h2', {}, 'Agents'),
        h('table', { id: 'agents-report' }, h('thead', {}, h('tr', {}, ...cols.map(([c]) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, ...agents.items.map((r) => h('tr', {}, ...cols.map(([, f]) => h('td', {}, f(r))))))),
        h('div', { class: 'grid2' },
          bars(agents.items, 'avg_response_seconds', 'Average response time per agent', duration),
          bars(agents.items, 'sales', 'Sales per agent', (x) => x ?? 0)));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'error' }, e.message));
    }
  }

  main.append(h('h1', {}, 'Reports'), h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field('From', from), field('To', to), h('button', { class: 'primary', type: 'submit' }, 'Show'), csv), out);
  await load();
}
