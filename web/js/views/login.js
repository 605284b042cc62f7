// The sign-in form.

import { post } from '../api.js';
import { h, field } from '../dom.js';

export function loginView(main, onSignedIn) {
  const error = h('p', { class: 'error', role: 'alert' });
  const account = h('input', { name: 'account', autocomplete: 'organization', required: true });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { class: 'card login', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await post('/auth/login', { account: account.value.trim(), email: email.value.trim(), password: password.value });
      main.replaceChildren();
      await onSignedIn();
    } catch (err) {
      error.textContent = err.message;
    }
  } },
    h('h1', {}, 'Sign in to Switchboard'),
    field('Account', account), field('E-mail', email), field('Password', password),
    h('button', { class: 'primary', type: 'submit' }, 'Sign in'),
    error);
  main.replaceChildren(form);
  account.focus();
}
