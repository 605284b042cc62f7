// Channel connections (managers): where replies are delivered. A connection names a bridge's
// webhook URL and the channels it serves; its signing secret is shown once, when it is
// created. Each connection can send a signed test event and lists its recent deliveries with
// the receiver's status codes.

import { h, replace } from '../dom.js';
import { field, formMessage, busy } from '../forms.js';
import { fmtDateTime } from '../format.js';

export function render({ root, api, notify }) {
  let connections = [];
  const listEl = h('div', { class: 'connection-list' });
  const status = h('p', { role: 'status', class: 'list-status' }, 'Loading connections…');
  const secretEl = h('div', { class: 'secret-once', role: 'status', hidden: true });

  async function load() {
    try {
      const page = await api.connections();
      connections = (page && page.items) || [];
      draw();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  function draw() {
    status.textContent = connections.length
      ? `${connections.length} connection${connections.length === 1 ? '' : 's'}`
      : 'No connections yet: replies are stored but reach no channel until a bridge is connected.';
    replace(listEl, connections.map(card));
  }

  function card(c) {
    const deliveries = h('div', { class: 'deliveries-box' });
    const channels = c.channels && c.channels.length ? c.channels.join(', ') : 'every channel';
    return h(
      'article',
      { class: 'template-card connection-card', dataset: { connectionId: String(c.id) } },
      h('h2', {}, c.name),
      h('dl', { class: 'facts' }, h('dt', {}, 'URL'), h('dd', {}, h('code', {}, c.url)), h('dt', {}, 'Channels'), h('dd', {}, channels)),
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'button', class: 'btn', onclick: (ev) => test(c, ev.currentTarget, deliveries) }, 'Send test event', h('span', { class: 'visually-hidden' }, ` to ${c.name}`)),
        h('button', { type: 'button', class: 'btn', onclick: (ev) => showDeliveries(c, ev.currentTarget, deliveries) }, 'Recent deliveries', h('span', { class: 'visually-hidden' }, ` of ${c.name}`)),
        h('button', { type: 'button', class: 'btn btn-danger', onclick: (ev) => remove(c, ev.currentTarget) }, 'Delete', h('span', { class: 'visually-hidden' }, ` ${c.name}`)),
      ),
      deliveries,
    );
  }

  async function test(c, button, box) {
    await busy(button, async () => {
      try {
        const d = await api.testConnection(c.id);
        const code = d.status_code != null ? ` (HTTP ${d.status_code})` : '';
        notify(d.status === 'sent' ? `Test event accepted by ${c.name}${code}.` : `Test event failed${code}: ${d.last_error || 'no answer'}`, d.status === 'sent' ? 'info' : 'error');
        await showDeliveries(c, null, box);
      } catch (e) {
        notify(e.message, 'error');
      }
    });
  }

  async function showDeliveries(c, button, box) {
    const fill = async () => {
      try {
        const page = await api.connectionDeliveries(c.id);
        const items = (page && page.items) || [];
        replace(
          box,
          items.length
            ? h(
                'table',
                { class: 'deliveries' },
                h('caption', { class: 'visually-hidden' }, `Recent deliveries of ${c.name}`),
                h('thead', {}, h('tr', {}, ['When', 'Event', 'Status', 'HTTP', 'Attempts', 'Last error'].map((t) => h('th', { scope: 'col' }, t)))),
                h(
                  'tbody',
                  {},
                  items.map((d) =>
                    h(
                      'tr',
                      { class: `status-${d.status}` },
                      h('td', {}, fmtDateTime(d.updated_at)),
                      h('td', {}, d.event === 'connection.test' ? 'Test' : `Reply ${d.message_id}`),
                      h('td', {}, d.status),
                      h('td', {}, d.status_code != null ? String(d.status_code) : '—'),
                      h('td', {}, String(d.attempts)),
                      h('td', {}, d.last_error || ''),
                    ),
                  ),
                ),
              )
            : h('p', { class: 'muted' }, 'No deliveries yet.'),
        );
      } catch (e) {
        replace(box, h('p', { class: 'error' }, e.message));
      }
    };
    if (button) await busy(button, fill);
    else await fill();
  }

  async function remove(c, button) {
    if (!window.confirm(`Delete the connection “${c.name}”? Replies waiting for it are marked failed.`)) return;
    await busy(button, async () => {
      try {
        await api.deleteConnection(c.id);
        notify(`Deleted “${c.name}”.`);
        await load();
      } catch (e) {
        notify(e.message, 'error');
      }
    });
  }

  const name = h('input', { name: 'name', required: true, maxlength: '100', placeholder: 'Airbnb bridge' });
  const url = h('input', { name: 'url', type: 'url', required: true, placeholder: 'https://bridge.example.com/switchboard' });
  const channels = h('input', { name: 'channels', placeholder: 'airbnb, booking (empty: every channel)' });
  const msg = formMessage();
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create connection');
  const form = h(
    'form',
    { class: 'stack card-form', 'aria-labelledby': 'new-connection-title' },
    h('h2', { id: 'new-connection-title' }, 'New connection'),
    field('Name', name),
    field('Delivery URL', url, 'Replies are POSTed here as signed webhooks (Standard Webhooks).'),
    field('Channels', channels, 'Comma-separated; leave empty for every channel.'),
    msg.el,
    h('div', { class: 'button-row' }, save),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    const payload = {
      name: name.value.trim(),
      url: url.value.trim(),
      channels: channels.value.split(',').map((c) => c.trim()).filter(Boolean),
    };
    busy(save, async () => {
      try {
        const created = await api.createConnection(payload);
        form.reset();
        secretEl.hidden = false;
        replace(
          secretEl,
          h('p', {}, h('strong', {}, `Signing secret of “${created.name}”`), ' — copy it into your bridge now; it is not shown again:'),
          h('p', {}, h('code', { class: 'secret' }, created.secret)),
        );
        notify(`Created “${created.name}”.`);
        await load();
      } catch (e) {
        msg.error(e.message);
      }
    });
  });

  root.append(
    h(
      'section',
      { class: 'page', 'aria-labelledby': 'connections-title' },
      h('h1', { id: 'connections-title' }, 'Connections'),
      h('p', { class: 'hint' }, 'Channel bridges that send our replies on to Airbnb, Booking.com, e-mail or SMS.'),
      secretEl,
      status,
      h('div', { class: 'templates-layout' }, listEl, form),
    ),
  );
  load();
}
