// One ticket: the conversation, the reservation panel, the reply box with templates in the
// guest's language (placeholders filled), and the Pending and Done buttons.

import { get, post } from '../api.js';
import { h, notice, when } from '../dom.js';

// Unsent replies by ticket, so a live re-render never loses what the agent was typing.
const drafts = new Map();

export async function ticketPane(pane, id, session, changed) {
  const me = session.me.user;
  let t;
  try {
    t = await get(`/tickets/${id}`);
  } catch (e) {
    pane.replaceChildren(h('p', { class: 'error' }, e.message));
    return;
  }
  const mine = t.assignee_id === me.id || me.role === 'manager';
  if (t.state === 'assigned' && t.assignee_id === me.id) {
    session.live.send({ type: 'open', ticket_id: t.id });
  }
  const r = t.reservation;
  const reservation = r
    ? h('dl', { class: 'reservation', 'aria-label': 'Reservation' },
        h('dt', {}, 'Listing'), h('dd', {}, r.listing || '—'),
        h('dt', {}, 'Channel'), h('dd', {}, t.channel),
        h('dt', {}, 'Dates'), h('dd', {}, `${r.check_in || '?'} → ${r.check_out || '?'}`),
        h('dt', {}, 'Status'), h('dd', {}, r.status),
        h('dt', {}, 'Price'), h('dd', {}, r.total_price === null ? '—' : `${r.total_price} ${r.currency || ''}`),
        h('dt', {}, 'Payment'), h('dd', {}, r.payment_status || '—'),
        h('dt', {}, 'Reservation'), h('dd', {}, r.external_id))
    : h('p', { class: 'muted' }, 'No reservation yet.');
  const conversation = h('div', { class: 'conversation', 'aria-label': 'Conversation', 'aria-live': 'polite' },
    ...t.messages.map((m) => h('div', { class: `message ${m.direction}` }, m.body, h('div', { class: 'muted' }, when(m.sent_at)))));
  const text = h('textarea', { id: 'reply-body', 'aria-label': 'Reply', oninput: () => drafts.set(id, text.value) });
  text.value = drafts.get(id) || '';
  const templates = h('select', { id: 'template', 'aria-label': 'Template' }, h('option', { value: '' }, 'Insert a template…'));
  get('/templates').then((list) => templates.append(...list.items.map((tpl) => h('option', { value: tpl.id }, tpl.name)))).catch(() => {});
  templates.addEventListener('change', async () => {
    if (!templates.value) return;
    const values = {
      guest_name: t.guest.name, listing: r?.listing || '', check_in: r?.check_in || '', check_out: r?.check_out || '',
      reservation_id: r?.external_id || '', agent_name: me.name,
    };
    const filled = await post(`/templates/${templates.value}/preview`, { language: t.guest.language, values });
    text.value = filled.body;
    drafts.set(id, filled.body);
    text.focus();
  });
  const act = async (path, body) => {
    try {
      await post(`/tickets/${t.id}/${path}`, body);
      changed();
      await ticketPane(pane, id, session, changed);
    } catch (e) {
      notice(e.message);
    }
  };
  const note = h('input', { id: 'pending-note', placeholder: 'Why does a manager need to look?', 'aria-label': 'Note for the manager' });
  pane.replaceChildren(...[
    h('h2', {}, t.guest.name, ' ', h('span', { class: 'muted' }, `· ${t.state} · ${t.stage.replace('_', ' ')}`)),
    reservation,
    t.pending_note ? h('p', {}, h('strong', {}, 'Pending note: '), t.pending_note) : null,
    conversation,
    mine && t.state !== 'done'
      ? h('form', { class: 'reply', onsubmit: (e) => {
          e.preventDefault();
          if (!text.value.trim()) return;
          const body = text.value;
          drafts.delete(id);
          act('reply', { body });
        } },
          templates, text,
          h('div', { class: 'actions' },
            h('button', { class: 'primary', type: 'submit', id: 'send' }, 'Send reply'),
            note,
            h('button', { type: 'button', id: 'pending', onclick: () => (note.value.trim() ? act('pending', { note: note.value }) : note.focus()) }, 'Pending'),
            h('button', { type: 'button', id: 'done', onclick: () => act('done', {}) }, 'Done')))
      : null,
  ].filter(Boolean));
  conversation.scrollTop = conversation.scrollHeight;
}
