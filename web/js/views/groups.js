// Routing groups (managers): desks such as "Resorts" or "Spanish line". A ticket belongs to the
// first group (in the order listed) whose rules all match — channel, listing group, language
// and the inbound address it was written to — and goes only to the agents ticked for that
// group on the Agents page; after the overflow delay in the queue it may also go to the
// overflow group's agents. A group with a floor keeps that many agents working: an agent's
// pause or stop that would leave fewer is refused unless a manager does it.

import { h, replace } from '../dom.js';
import { field, formMessage, busy } from '../forms.js';
import { channelLabel } from '../labels.js';

const list = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);
const anyOr = (values, label = String) => (values && values.length ? values.map(label).join(', ') : 'Any');

export function render({ root, api, notify }) {
  let groups = [];
  const listEl = h('div', { class: 'connection-list' });
  const status = h('p', { role: 'status', class: 'list-status' }, 'Loading groups…');
  const nameOf = (gid) => (groups.find((g) => String(g.id) === String(gid)) || { name: `#${gid}` }).name;

  async function load() {
    try {
      const page = await api.groups();
      groups = (page && page.items) || [];
      draw();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  function draw() {
    status.textContent = groups.length
      ? `${groups.length} group${groups.length === 1 ? '' : 's'}, in the order tickets are matched`
      : 'No groups yet: every ticket goes to any agent whose card takes it.';
    replace(listEl, groups.map(card));
    fillOverflow(createForm.overflow, null, '');
  }

  function card(g) {
    const r = g.rules || {};
    const overflow = g.overflow_group_id ? `${nameOf(g.overflow_group_id)} after ${g.overflow_after_seconds} s in the queue` : 'None';
    return h(
      'article',
      { class: 'template-card group-card', dataset: { groupId: String(g.id) } },
      h('h2', {}, g.name),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Channels'),
        h('dd', {}, anyOr(r.channels, channelLabel)),
        h('dt', {}, 'Listing groups'),
        h('dd', {}, anyOr(r.listing_groups)),
        h('dt', {}, 'Languages'),
        h('dd', {}, anyOr(r.languages, (l) => l.toUpperCase())),
        h('dt', {}, 'Entry points'),
        h('dd', {}, anyOr(r.entry_points)),
        h('dt', {}, 'Working at least'),
        h('dd', {}, g.min_agents ? String(g.min_agents) : 'No floor'),
        h('dt', {}, 'Overflow'),
        h('dd', {}, overflow),
      ),
      h(
        'div',
        { class: 'button-row' },
        h('button', { type: 'button', class: 'btn', onclick: () => edit(g) }, 'Edit', h('span', { class: 'visually-hidden' }, ` ${g.name}`)),
        h('button', { type: 'button', class: 'btn btn-danger', onclick: (ev) => remove(g, ev.currentTarget) }, 'Delete', h('span', { class: 'visually-hidden' }, ` ${g.name}`)),
      ),
    );
  }

  async function remove(g, button) {
    if (!window.confirm(`Delete the group “${g.name}”? Its agents leave it, and its waiting tickets go to anyone.`)) return;
    await busy(button, async () => {
      try {
        await api.deleteGroup(g.id);
        notify(`Deleted “${g.name}”.`);
        await load();
      } catch (e) {
        notify(e.message, 'error');
      }
    });
  }

  /** The overflow select: no overflow, or any other group. */
  function fillOverflow(select, self, current) {
    replace(
      select,
      h('option', { value: '' }, 'No overflow'),
      groups.filter((g) => String(g.id) !== String(self)).map((g) => h('option', { value: String(g.id), selected: String(g.id) === String(current || '') }, g.name)),
    );
  }

  /** The group form's fields, filled from `g` (empty for a new group). */
  function groupForm(g, titleId, title, submitLabel) {
    const r = (g && g.rules) || {};
    const name = h('input', { name: 'name', required: true, maxlength: '100', value: g ? g.name : '', placeholder: 'Resorts' });
    const channels = h('input', { name: 'channels', value: (r.channels || []).join(', '), placeholder: 'airbnb, sms' });
    const listingGroups = h('input', { name: 'listing_groups', value: (r.listing_groups || []).join(', '), placeholder: 'Algarve resorts' });
    const languages = h('input', { name: 'languages', value: (r.languages || []).join(', '), placeholder: 'es' });
    const entryPoints = h('input', { name: 'entry_points', value: (r.entry_points || []).join(', '), placeholder: '+34 600 000 000, resorts@example.com' });
    const minAgents = h('input', { name: 'min_agents', type: 'number', min: '0', max: '10000', inputmode: 'numeric', value: g ? String(g.min_agents) : '0' });
    const overflow = h('select', { name: 'overflow_group_id' });
    fillOverflow(overflow, g && g.id, g && g.overflow_group_id);
    const after = h('input', { name: 'overflow_after_seconds', type: 'number', min: '1', max: '604800', inputmode: 'numeric', value: g && g.overflow_after_seconds ? String(g.overflow_after_seconds) : '' });
    const msg = formMessage();
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel);
    const form = h(
      'form',
      { class: 'stack card-form', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      field('Name', name),
      h(
        'div',
        { class: 'form-grid' },
        field('Channels', channels, 'Comma-separated; empty = any channel.'),
        field('Listing groups', listingGroups, 'Comma-separated; empty = any listing.'),
        field('Languages', languages, 'Comma-separated codes; empty = any language.'),
        field('Entry points', entryPoints, 'Inbound addresses (number dialled, mailbox), comma-separated; empty = any.'),
      ),
      h(
        'div',
        { class: 'form-grid' },
        field('Agents working at least', minAgents, 'A pause or stop that leaves fewer is refused unless a manager does it; 0 = no floor.'),
        field('Overflow group', overflow, 'Whose agents may also take a ticket that waited too long.'),
        field('Overflow after (seconds)', after, 'Time in the queue before the overflow group may take it.'),
      ),
      msg.el,
      h('div', { class: 'button-row' }, save),
    );
    const values = () => {
      const payload = {
        name: name.value.trim(),
        rules: {
          channels: list(channels.value).map((c) => c.toLowerCase()),
          listing_groups: list(listingGroups.value),
          languages: list(languages.value).map((l) => l.toLowerCase()),
          entry_points: list(entryPoints.value),
        },
        min_agents: minAgents.value ? Number(minAgents.value) : 0,
        overflow_group_id: overflow.value || null,
        overflow_after_seconds: overflow.value && after.value ? Number(after.value) : null,
      };
      return payload;
    };
    return { form, msg, save, values, overflow };
  }

  const createForm = groupForm(null, 'new-group-title', 'New group', 'Create group');
  createForm.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    createForm.msg.clear();
    busy(createForm.save, async () => {
      try {
        const created = await api.createGroup(createForm.values());
        createForm.form.reset();
        notify(`Created “${created.name}”. Tick it on the agents who work it (Agents page).`);
        await load();
      } catch (e) {
        createForm.msg.error(e.message);
      }
    });
  });

  const dialog = h('dialog', { class: 'dialog dialog-wide', 'aria-labelledby': 'edit-group-title' });
  function edit(g) {
    const f = groupForm(g, 'edit-group-title', `Edit ${g.name}`, 'Save');
    f.form.querySelector('.button-row').append(h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => dialog.close() }, 'Cancel'));
    f.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      f.msg.clear();
      busy(f.save, async () => {
        try {
          const saved = await api.updateGroup(g.id, f.values());
          dialog.close();
          notify(`${saved.name} was saved.`);
          await load();
        } catch (e) {
          f.msg.error(e.message);
        }
      });
    });
    replace(dialog, f.form);
    dialog.showModal();
  }

  root.append(
    h(
      'section',
      { class: 'page', 'aria-labelledby': 'groups-title' },
      h('h1', { id: 'groups-title' }, 'Groups'),
      h('p', { class: 'hint' }, 'Routing groups send each ticket to the right desk. A ticket belongs to the first group whose rules all match; one that matches none goes to any agent.'),
      status,
      h('div', { class: 'templates-layout' }, listEl, createForm.form),
      dialog,
    ),
  );
  load();
  return () => {
    if (dialog.open) dialog.close();
  };
}
