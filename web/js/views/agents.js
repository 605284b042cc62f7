// Managers: the team. List agents with their live state, create one, and edit an agent's
// card (stages, channels, languages, listing groups, routing groups, cap), role and whether
// they are active.

import { h, replace } from '../dom.js';
import { field, checkboxGroup, formMessage, busy } from '../forms.js';
import { STAGES, CHANNELS, stageLabel, channelLabel } from '../labels.js';

const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const anyOr = (values, label) => (values && values.length ? values.map(label).join(', ') : 'Any');

function presenceText(a) {
  const s = a.state || {};
  if (!a.active) return 'Deactivated';
  if (!s.working) return `Not working · ${s.presence || 'offline'}`;
  return `${s.intake_paused ? 'Paused' : 'Working'} · ${s.presence || 'offline'}`;
}

export function render({ root, api, live, notify }) {
  let agents = [];
  let groups = [];
  const groupName = (gid) => (groups.find((g) => String(g.id) === String(gid)) || { name: `#${gid}` }).name;
  const tbody = h('tbody');
  const status = h('p', { role: 'status', class: 'list-status' }, 'Loading agents…');

  async function load() {
    try {
      const [page, groupPage] = await Promise.all([api.agents(), api.groups().catch(() => ({ items: [] }))]);
      agents = (page && page.items) || [];
      groups = (groupPage && groupPage.items) || [];
      draw();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  function draw() {
    status.textContent = `${agents.length} ${agents.length === 1 ? 'person' : 'people'}`;
    replace(
      tbody,
      agents.map((a) => {
        const c = a.card || {};
        return h(
          'tr',
          { dataset: { agentId: String(a.id) }, class: a.active ? '' : 'inactive' },
          h('th', { scope: 'row' }, a.name, h('br'), h('small', { class: 'muted' }, a.email)),
          h('td', {}, a.role === 'manager' ? 'Manager' : 'Agent'),
          h('td', {}, h('span', { class: `state-dot state-${a.state && a.state.working ? (a.state.intake_paused ? 'paused' : a.state.presence === 'online' ? 'working' : 'away') : 'offline'}`, 'aria-hidden': 'true' }), ' ', presenceText(a)),
          h('td', { class: 'card-summary' }, `Stages: ${anyOr(c.stages, stageLabel)}`, h('br'), `Channels: ${anyOr(c.channels, channelLabel)}`, h('br'), `Languages: ${anyOr(c.languages, (l) => l.toUpperCase())}`, h('br'), `Listing groups: ${anyOr(c.listing_groups, String)}`, groups.length ? [h('br'), `Routing groups: ${c.groups && c.groups.length ? c.groups.map(groupName).join(', ') : 'None'}`] : null),
          h('td', { class: 'num' }, c.max_active ? String(c.max_active) : 'No cap'),
          h(
            'td',
            { class: 'row-actions' },
            h('button', { type: 'button', class: 'btn', onclick: () => edit(a) }, 'Edit', h('span', { class: 'visually-hidden' }, ` ${a.name}`)),
            // A manager may let an agent go even when their group would fall below its floor.
            a.state && a.state.working && !a.state.intake_paused
              ? h('button', { type: 'button', class: 'btn btn-quiet', onclick: (ev) => letGo(a, ev.currentTarget, 'pause') }, 'Pause intake', h('span', { class: 'visually-hidden' }, ` of ${a.name}`))
              : null,
            a.state && a.state.working
              ? h('button', { type: 'button', class: 'btn btn-quiet', onclick: (ev) => letGo(a, ev.currentTarget, 'stop') }, 'Stop timer', h('span', { class: 'visually-hidden' }, ` of ${a.name}`))
              : null,
          ),
        );
      }),
    );
  }

  async function letGo(a, button, what) {
    await busy(button, async () => {
      try {
        const user = what === 'pause' ? await api.pauseIntakeOf(a.id) : await api.stopTimerOf(a.id);
        a.state = user.state;
        notify(what === 'pause' ? `${a.name} takes no new tickets now.` : `${a.name}'s timer is stopped.`);
        draw();
      } catch (e) {
        notify(e.message, 'error');
      }
    });
  }

  // ---- create ----------------------------------------------------------------------------
  const cName = h('input', { name: 'name', required: true, autocomplete: 'off' });
  const cEmail = h('input', { name: 'email', type: 'email', required: true, autocomplete: 'off' });
  const cPassword = h('input', { name: 'password', type: 'password', required: true, autocomplete: 'new-password', minlength: '8' });
  const cRole = h('select', { name: 'role' }, h('option', { value: 'agent' }, 'Agent'), h('option', { value: 'manager' }, 'Manager'));
  const cMsg = formMessage();
  const cBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Add agent');
  const createForm = h(
    'form',
    { class: 'card-form', 'aria-labelledby': 'new-agent-title' },
    h('h2', { id: 'new-agent-title' }, 'Add an agent'),
    h('div', { class: 'form-grid' }, field('Name', cName), field('E-mail', cEmail), field('Password', cPassword, 'At least 10 characters, not a common one; the agent uses it to log in.'), field('Role', cRole)),
    cMsg.el,
    cBtn,
  );
  createForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    cMsg.clear();
    busy(cBtn, async () => {
      try {
        const a = await api.createAgent({ name: cName.value.trim(), email: cEmail.value.trim(), password: cPassword.value, role: cRole.value });
        createForm.reset();
        cMsg.ok(`${a.name} was added. Edit the card to choose what they take.`);
        await load();
      } catch (e) {
        cMsg.error(e.message);
      }
    });
  });

  // ---- edit (dialog) ---------------------------------------------------------------------
  const dialog = h('dialog', { class: 'dialog dialog-wide', 'aria-labelledby': 'edit-agent-title' });
  function edit(a) {
    const c = a.card || {};
    const name = h('input', { name: 'name', required: true, value: a.name });
    const role = h('select', { name: 'role' }, h('option', { value: 'agent', selected: a.role === 'agent' }, 'Agent'), h('option', { value: 'manager', selected: a.role === 'manager' }, 'Manager'));
    const active = h('input', { type: 'checkbox', name: 'active', id: 'edit-active', checked: a.active });
    const stages = checkboxGroup('Stages (none ticked = any)', STAGES, c.stages || []);
    const knownChannels = CHANNELS.concat((c.channels || []).filter((v) => !CHANNELS.some((x) => x.value === v)).map((v) => ({ value: v, label: v })));
    const channels = checkboxGroup('Channels (none ticked = any)', knownChannels, c.channels || []);
    const languages = h('input', { name: 'languages', value: (c.languages || []).join(', '), placeholder: 'en, de, fr' });
    const listingGroups = h('input', { name: 'listing_groups', value: (c.listing_groups || []).join(', '), placeholder: 'Lisbon, Porto' });
    const cap = h('input', { name: 'max_active', type: 'number', min: '1', max: '10000', inputmode: 'numeric', value: c.max_active || '' });
    // Routing groups: a ticket in a group goes only to agents ticked here.
    const routing = checkboxGroup(
      'Routing groups (tickets of a group go only to its agents)',
      groups.map((g) => ({ value: String(g.id), label: g.name })),
      (c.groups || []).map(String),
    );
    // A manager resets a forgotten password here; empty leaves it as it is.
    const password = h('input', { name: 'new_password', type: 'password', autocomplete: 'new-password', minlength: '8' });
    const msg = formMessage();
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save');
    const form = h(
      'form',
      { class: 'stack' },
      h('h2', { id: 'edit-agent-title' }, `Edit ${a.name}`),
      h('div', { class: 'form-grid' }, field('Name', name), field('Role', role), h('div', { class: 'field' }, h('label', { class: 'check', for: 'edit-active' }, active, ' Active (can log in and take tickets)'))),
      h('div', { class: 'form-grid' }, stages.el, channels.el),
      h('div', { class: 'form-grid' }, field('Languages', languages, 'Comma-separated codes; empty = any language.'), field('Listing groups', listingGroups, 'Comma-separated; empty = any listing.'), field('Most active tickets', cap, 'Empty = no cap.')),
      groups.length ? routing.el : null,
      field('New password', password, 'At least 8 characters; empty keeps the current one. Tell the agent in person.'),
      msg.el,
      h('div', { class: 'button-row' }, save, h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => dialog.close() }, 'Cancel')),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      msg.clear();
      const changes = {
        name: name.value.trim(),
        role: role.value,
        active: active.checked,
        card: {
          stages: stages.values(),
          channels: channels.values(),
          languages: list(languages.value).map((l) => l.toLowerCase()),
          listing_groups: list(listingGroups.value),
          max_active: cap.value ? Number(cap.value) : null,
          groups: groups.length ? routing.values() : c.groups || [],
        },
      };
      if (password.value) changes.password = password.value;
      busy(save, async () => {
        try {
          await api.updateAgent(a.id, changes);
          dialog.close();
          notify(changes.password ? `${changes.name} was saved with the new password.` : `${changes.name} was saved.`);
          await load();
        } catch (e) {
          msg.error(e.message);
        }
      });
    });
    replace(dialog, form);
    dialog.showModal();
    name.focus();
  }

  const onAgent = (e) => {
    const a = agents.find((x) => String(x.id) === e.detail.agent_id);
    if (a) {
      a.state = { ...(a.state || {}), ...e.detail.state };
      draw();
    }
  };
  live.addEventListener('agent', onAgent);

  root.append(
    h(
      'section',
      { class: 'page', 'aria-labelledby': 'agents-title' },
      h('h1', { id: 'agents-title' }, 'Agents'),
      status,
      h(
        'div',
        { class: 'table-wrap' },
        h('table', { class: 'data-table' }, h('thead', {}, h('tr', {}, ['Name', 'Role', 'Now', 'Card', 'Cap', ''].map((t) => h('th', { scope: 'col' }, t)))), tbody),
      ),
      createForm,
      dialog,
    ),
  );
  load();
  return () => {
    live.removeEventListener('agent', onAgent);
    if (dialog.open) dialog.close();
  };
}
