// Managers: the agents and their cards (stages, channels, languages, listing groups, cap),
// role and activity.

import { get, post, patch } from '../api.js';
import { h, field, notice } from '../dom.js';

const STAGES = ['pre_booking', 'booked', 'staying', 'post_stay'];
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);

function cardForm(agent, onSave) {
  const c = agent?.card || { stages: [], channels: [], languages: [], listing_groups: [], max_active: null };
  const stages = STAGES.map((s) => h('label', {}, h('input', { type: 'checkbox', value: s, checked: c.stages.includes(s) }), s.replace('_', ' ')));
  const channels = h('input', { value: c.channels.join(', '), placeholder: 'any' });
  const languages = h('input', { value: c.languages.join(', '), placeholder: 'any' });
  const groups = h('input', { value: c.listing_groups.join(', '), placeholder: 'any' });
  const cap = h('input', { type: 'number', min: 1, value: c.max_active ?? '', placeholder: 'no cap' });
  const read = () => ({
    stages: stages.map((l) => l.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
    channels: list(channels.value), languages: list(languages.value), listing_groups: list(groups.value),
    max_active: cap.value ? Number(cap.value) : null,
  });
  return { el: h('fieldset', {}, h('legend', {}, 'Card (empty means any)'), h('div', { class: 'actions' }, ...stages),
    field('Channels (comma separated)', channels), field('Languages', languages), field('Listing groups', groups), field('Max active tickets', cap)), read, onSave };
}

export async function agentsView(main) {
  const table = h('tbody');
  const editor = h('section', { class: 'card', 'aria-label': 'Edit agent' });

  async function load() {
    const { items } = await get('/agents');
    table.replaceChildren(...items.map((a) => h('tr', {},
      h('td', {}, a.name), h('td', {}, a.email), h('td', {}, a.role), h('td', {}, a.active ? 'active' : 'deactivated'),
      h('td', {}, a.state.working ? (a.state.intake_paused ? 'paused' : 'working') : 'off', ' · ', a.state.presence),
      h('td', {}, [a.card.stages.join('/') || 'any stage', a.card.channels.join('/') || 'any channel', a.card.languages.join('/') || 'any language'].join(' · ')),
      h('td', {}, h('button', { onclick: () => edit(a) }, 'Edit')))));
  }

  function edit(agent) {
    const name = h('input', { value: agent?.name || '', required: true });
    const email = h('input', { type: 'email', value: agent?.email || '', required: true, disabled: !!agent });
    const password = h('input', { type: 'password', placeholder: agent ? 'unchanged' : '', autocomplete: 'new-password' });
    const role = h('select', {}, ...['agent', 'manager'].map((r) => h('option', { value: r, selected: agent?.role === r }, r)));
    const active = h('input', { type: 'checkbox', checked: agent ? agent.active : true });
    const card = cardForm(agent);
    const error = h('p', { class: 'error', role: 'alert' });
    editor.replaceChildren(h('form', { class: 'form', onsubmit: async (e) => {
      e.preventDefault();
      try {
        if (agent) {
          const body = { name: name.value, role: role.value, active: active.checked, card: card.read() };
          if (password.value) body.password = password.value;
          await patch(`/agents/${agent.id}`, body);
        } else {
          await post('/agents', { name: name.value, email: email.value, password: password.value, role: role.value, card: card.read() });
        }
        notice('Saved');
        editor.replaceChildren();
        load();
      } catch (err) { error.textContent = err.message; }
    } }, h('h2', {}, agent ? `Edit ${agent.name}` : 'New agent'),
      field('Name', name), field('E-mail', email), field('Password', password), field('Role', role),
      h('label', {}, h('input', { type: 'hidden' }), h('span', {}, active, ' Active')), card.el, error,
      h('div', { class: 'actions' }, h('button', { class: 'primary', type: 'submit' }, 'Save'), h('button', { type: 'button', onclick: () => editor.replaceChildren() }, 'Cancel'))));
  }

  main.append(h('h1', {}, 'Agents'), h('button', { class: 'primary', onclick: () => edit(null) }, 'New agent'), editor,
    h('table', {}, h('thead', {}, h('tr', {}, ...['Name', 'E-mail', 'Role', 'Status', 'Now', 'Card', ''].map((c) => h('th', { scope: 'col' }, c)))), table));
  await load();
}
