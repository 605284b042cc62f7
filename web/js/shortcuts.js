// Keyboard shortcuts, as agents coming from Zendesk or Front expect them: j/k move through
// the ticket list, Enter opens, r goes to the reply, Ctrl+Enter sends, e marks done, ? lists
// them. A key typed into a field is text, never a shortcut (except Ctrl+Enter to send and Esc
// to leave the reply box).

import { h } from './dom.js';

const KEYS = [
  ['j / k', 'Next / previous ticket in the list'],
  ['Enter', 'Open the selected ticket'],
  ['r', 'Write a reply'],
  ['Ctrl + Enter', 'Send the reply'],
  ['Esc', 'Leave the reply box'],
  ['e', 'Mark the ticket done'],
  ['?', 'Show this list'],
];

let help = null;
function showHelp() {
  if (!help) {
    help = h(
      'dialog',
      { class: 'dialog', id: 'shortcuts-help', 'aria-labelledby': 'shortcuts-title' },
      h('h2', { id: 'shortcuts-title' }, 'Keyboard shortcuts'),
      h('dl', { class: 'shortcut-list' }, KEYS.map(([k, what]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, what)])),
      h('form', { method: 'dialog' }, h('button', { type: 'submit', class: 'btn' }, 'Close')),
    );
    document.body.append(help);
  }
  if (!help.open) help.showModal();
}

const typing = (el) => el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

/** Moves focus `step` rows through the inbox list. */
function move(step) {
  const links = [...document.querySelectorAll('.ticket-list .ticket-link')];
  if (!links.length) return;
  const at = links.indexOf(document.activeElement);
  const next = links[at < 0 ? (step > 0 ? 0 : links.length - 1) : Math.min(links.length - 1, Math.max(0, at + step))];
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
}

function clickIfEnabled(selector) {
  const el = document.querySelector(selector);
  if (el && !el.disabled) el.click();
}

/** Listens on the whole document; `route()` names the page shown (`main[data-route]`). */
export function installShortcuts(route) {
  document.addEventListener('keydown', (ev) => {
    if (ev.defaultPrevented || ev.altKey || ev.metaKey) return;
    const reply = document.querySelector('.reply-form textarea[name="body"]');
    if (ev.key === 'Enter' && ev.ctrlKey) {
      if (reply && document.activeElement === reply) {
        ev.preventDefault();
        reply.form.requestSubmit();
      }
      return;
    }
    if (ev.key === 'Escape' && reply && document.activeElement === reply) {
      reply.blur();
      return;
    }
    if (ev.ctrlKey || typing(document.activeElement) || (help && help.open)) return;
    const page = route();
    const act = {
      '?': showHelp,
      j: () => page === 'inbox' && move(1),
      k: () => page === 'inbox' && move(-1),
      r: () => page === 'tickets' && reply && !reply.disabled && reply.focus(),
      e: () => page === 'tickets' && clickIfEnabled('.reply-form .btn-success'),
    }[ev.key];
    if (act) {
      ev.preventDefault();
      act();
    }
  });
}
