// "My to-dos": the agent's open to-dos across tickets (`GET /todos`: on tickets assigned to
// them or written by them), soonest due first; overdue ones are drawn red. Each row links to
// its ticket, where the to-do is ticked or changed.

import { h } from '../dom.js';
import { fmtDateTime } from '../format.js';
import { stateLabel } from '../labels.js';

const KINDS = { refund: 'Refund', follow_up: 'Follow-up', task: 'Task' };

function row(t) {
  return h(
    'li',
    { class: `todo my-todo${t.overdue ? ' is-overdue' : ''}`, dataset: { todoId: String(t.id), kind: t.kind } },
    h('a', { href: `#/tickets/${encodeURIComponent(t.ticket_id)}`, class: 'todo-title' }, t.title),
    h('span', { class: 'todo-kind' }, KINDS[t.kind] || t.kind),
    h('span', { class: 'todo-ticket' }, `${t.guest_name} · ${stateLabel(t.ticket_state)}`),
    t.due_at ? h('span', { class: 'todo-due' }, `${t.overdue ? 'Overdue · ' : 'Due '}${fmtDateTime(t.due_at)}`) : h('span', { class: 'todo-due' }, 'No due time'),
  );
}

export async function render({ root, api, live }) {
  const status = h('p', { class: 'list-status', role: 'status' }, 'Loading…');
  const list = h('ul', { class: 'todo-list', 'aria-label': 'My to-dos' });
  root.append(h('section', { class: 'page narrow', 'aria-labelledby': 'todos-title' }, h('h1', { id: 'todos-title' }, 'My to-dos'), status, list));

  let loading = false;
  let again = false;
  async function load() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      const { items } = await api.myTodos();
      list.replaceChildren(...items.map(row));
      const overdue = items.filter((t) => t.overdue).length;
      status.textContent = items.length === 0 ? 'No open to-dos.' : `${items.length} open${overdue ? `, ${overdue} overdue` : ''}`;
    } catch (e) {
      status.textContent = e.message;
    } finally {
      loading = false;
      if (again) {
        again = false;
        load();
      }
    }
  }
  await load();
  // A to-do changed (the server tells its ticket's assignee, its author and managers), or a
  // ticket came or went, which makes its to-dos the agent's or not.
  const onFrame = () => load();
  const kinds = ['todo', 'ticket', 'removed'];
  for (const k of kinds) live.addEventListener(k, onFrame);
  return () => {
    for (const k of kinds) live.removeEventListener(k, onFrame);
  };
}
