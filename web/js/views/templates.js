// Reply templates with one body per language. Everyone reads them; managers create, edit
// and delete. Bodies may use the placeholders the server knows.

import { h, replace } from '../dom.js';
import { field, formMessage, busy } from '../forms.js';

const PLACEHOLDERS = ['guest_name', 'check_in', 'check_out', 'listing', 'agent_name', 'reservation_id'];

export function render({ root, api, session, notify }) {
  const isManager = session.user.role === 'manager';
  let templates = [];
  const listEl = h('div', { class: 'template-list' });
  const status = h('p', { role: 'status', class: 'list-status' }, 'Loading templates…');
  const editor = h('section', { class: 'card-form', 'aria-labelledby': 'tpl-editor-title', hidden: !isManager });

  async function load() {
    try {
      const page = await api.templates();
      templates = (page && page.items) || [];
      draw();
    } catch (e) {
      status.textContent = e.message;
    }
  }

  function draw() {
    status.textContent = templates.length ? `${templates.length} template${templates.length === 1 ? '' : 's'}` : 'No templates yet.';
    replace(
      listEl,
      templates.map((t) =>
        h(
          'article',
          { class: 'template-card', dataset: { templateId: String(t.id) } },
          h('h2', {}, t.name),
          h(
            'dl',
            { class: 'variants' },
            (t.variants || []).map((v) => [h('dt', {}, v.language.toUpperCase()), h('dd', {}, v.body)]),
          ),
          isManager
            ? h(
                'div',
                { class: 'button-row' },
                h('button', { type: 'button', class: 'btn', onclick: () => openEditor(t) }, 'Edit', h('span', { class: 'visually-hidden' }, ` ${t.name}`)),
                h('button', { type: 'button', class: 'btn btn-danger', onclick: (ev) => remove(t, ev.currentTarget) }, 'Delete', h('span', { class: 'visually-hidden' }, ` ${t.name}`)),
              )
            : null,
        ),
      ),
    );
  }

  async function remove(t, button) {
    if (!window.confirm(`Delete the template “${t.name}”?`)) return;
    await busy(button, async () => {
      try {
        await api.deleteTemplate(t.id);
        notify(`Deleted “${t.name}”.`);
        await load();
      } catch (e) {
        notify(e.message, 'error');
      }
    });
  }

  function variantRow(v = { language: '', body: '' }) {
    const lang = h('input', { name: 'language', required: true, value: v.language, size: '6', placeholder: 'en', pattern: '[A-Za-z]{2,8}' });
    const body = h('textarea', { name: 'body', rows: '4', required: true }, v.body);
    const row = h('fieldset', { class: 'variant' }, h('legend', {}, 'Language variant'), h('div', { class: 'variant-grid' }, field('Language', lang), field('Body', body)), h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => row.remove() }, 'Remove this language'));
    return row;
  }

  function openEditor(t = null) {
    const name = h('input', { name: 'name', required: true, value: t ? t.name : '' });
    const variants = h('div', { class: 'variant-list' }, (t && t.variants && t.variants.length ? t.variants : [{ language: 'en', body: '' }]).map(variantRow));
    const msg = formMessage();
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, t ? 'Save template' : 'Create template');
    const headingId = 'tpl-editor-title';
    const form = h(
      'form',
      { class: 'stack' },
      h('h2', { id: headingId }, t ? `Edit “${t.name}”` : 'New template'),
      field('Name', name),
      h('p', { class: 'hint' }, 'Placeholders: ', PLACEHOLDERS.map((p, i) => [i ? ', ' : '', h('code', {}, `{{${p}}}`)])),
      variants,
      h('button', { type: 'button', class: 'btn', onclick: () => variants.append(variantRow()) }, 'Add a language'),
      msg.el,
      h('div', { class: 'button-row' }, save, t ? h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => openEditor() }, 'Cancel') : null),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      msg.clear();
      const payload = {
        name: name.value.trim(),
        variants: [...variants.querySelectorAll('.variant')].map((row) => ({
          language: row.querySelector('[name="language"]').value.trim().toLowerCase(),
          body: row.querySelector('[name="body"]').value,
        })),
      };
      if (!payload.variants.length) return msg.error('Add at least one language.');
      busy(save, async () => {
        try {
          if (t) await api.updateTemplate(t.id, payload);
          else await api.createTemplate(payload);
          notify(t ? `Saved “${payload.name}”.` : `Created “${payload.name}”.`);
          openEditor();
          await load();
        } catch (e) {
          msg.error(e.message);
        }
      });
    });
    replace(editor, form);
    if (t) {
      editor.scrollIntoView({ block: 'start' });
      name.focus();
    }
  }

  root.append(
    h('section', { class: 'page', 'aria-labelledby': 'templates-title' }, h('h1', { id: 'templates-title' }, 'Templates'), status, h('div', { class: 'templates-layout' }, listEl, editor)),
  );
  if (isManager) openEditor();
  load();
}
