// Form pieces the views share: a labelled field, a checkbox group, an inline message area,
// and `busy` so a double click cannot send twice. They build DOM only; no requests here.

import { h, nextId } from './dom.js';

/** A labelled form field: `field('Email', h('input', {...}))`. */
export function field(label, control, hint) {
  if (!control.id) control.id = nextId();
  const hintEl = hint ? h('small', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute('aria-describedby', hintEl.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hintEl);
}

/** A group of checkboxes in a fieldset; returns {el, values()}. */
export function checkboxGroup(legend, options, selected = [], name = nextId('g')) {
  const chosen = new Set(selected);
  const boxes = options.map((opt) => {
    const id = nextId('cb');
    const input = h('input', { type: 'checkbox', id, name, value: opt.value, checked: chosen.has(opt.value) });
    return { input, el: h('label', { class: 'check', for: id }, input, ' ', opt.label) };
  });
  const el = h('fieldset', { class: 'checks' }, h('legend', {}, legend), boxes.map((b) => b.el));
  return { el, values: () => boxes.filter((b) => b.input.checked).map((b) => b.input.value) };
}

/** An inline error/success message area for a form. */
export function formMessage() {
  const el = h('p', { class: 'form-message', role: 'status', 'aria-live': 'polite' });
  return {
    el,
    error(msg) {
      el.className = 'form-message error';
      el.textContent = msg;
    },
    ok(msg) {
      el.className = 'form-message ok';
      el.textContent = msg;
    },
    clear() {
      el.className = 'form-message';
      el.textContent = '';
    },
  };
}

/** Runs `fn` with `button` disabled, so a double click cannot send twice. */
export async function busy(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } finally {
    if (button) button.disabled = false;
  }
}
