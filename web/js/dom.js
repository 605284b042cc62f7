// Building DOM without HTML strings: `h` makes an element, `replace` swaps an element's
// children, `nextId` hands out ids for label/for pairs. No state beyond the id counter.

/**
 * Creates an element: `h('button', {type: 'button', onclick}, 'Save')`.
 * Attributes starting with `on` become listeners; `class`, `dataset`, boolean and `hidden`
 * are handled; `null`/`false` children are skipped; strings become text nodes (never HTML).
 */
export function h(tag, attrs = {}, ...children) {
  const el = tag.includes(':')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.split(':')[1])
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' || k === 'selected') el[k] = !!v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
/** A fresh id for label/for pairs. */
export const nextId = (prefix = 'f') => `${prefix}-${++uid}`;
