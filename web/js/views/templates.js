// Managers: reply templates with one body per language.

import { get, post, patch, del } from '../api.js';
import { h, field, notice } from '../dom.js';

export async function templatesView(main) {
  const listEl = h('ul');
  const editor = h('section', { class: 'card' });

  async function load() {
    const { items } = await get('/templates');
    listEl.replaceChildren(...items.map((t) => h('li', {}, h('strong', {}, t.name), ` (${t.variants.map((v) => v.language).join(', ')}) `,
      h('button', { onclick: () => edit(t) }, 'Edit'),
      h('button', { class: 'danger', onclick: async () => { await del(`/templates/${t.id}`); notice('Deleted'); load(); } }, 'Delete'))));
  }

  function edit(t) {
    const name = h('input', { value: t?.name || '' });
    const rows = h('div', { class: 'form' });
    const addRow = (v = { language: '', body: '' }) => rows.append(h('div', { class: 'grid2' },
      field('Language', h('input', { value: v.language, class: 'lang', size: 4 })), field('Body', h('textarea', { class: 'body' }, v.body))));
    (t?.variants || [{ language: 'en', body: '' }]).forEach(addRow);
    const error = h('p', { class: 'error', role: 'alert' });
    editor.replaceChildren(h('form', { class: 'form', onsubmit: async (e) => {
      e.preventDefault();
      const variants = [...rows.children].map((r) => ({ language: r.querySelector('.lang').value, body: r.querySelector('.body').value }));
      try {
        if (t) await patch(`/templates/${t.id}`, { name: name.value, variants });
        else await post('/templates', { name: name.value, variants });
        editor.replaceChildren();
        load();
      } catch (err) { error.textContent = err.message; }
    } }, h('h2', {}, t ? 'Edit template' : 'New template'), field('Name', name),
      h('p', { class: 'muted' }, 'Placeholders: {{guest_name}} {{check_in}} {{check_out}} {{listing}} {{agent_name}} {{reservation_id}}'),
      rows, h('button', { type: 'button', onclick: () => addRow() }, 'Add a language'), error,
      h('button', { class: 'primary', type: 'submit' }, 'Save')));
  }

  main.append(h('h1', {}, 'Templates'), h('button', { class: 'primary', onclick: () => edit(null) }, 'New template'), editor, listEl);
  await load();
}
