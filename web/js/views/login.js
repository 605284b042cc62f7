// Login: account, e-mail and password. The server sets the HttpOnly session cookie; the
// token it also returns is for API clients and is not kept by the browser app.

import { h } from '../dom.js';
import { field, formMessage } from '../forms.js';
import { prefs } from '../prefs.js';

export function render({ root, api, onSignedIn }) {
  const account = h('input', { name: 'account', autocomplete: 'organization', required: true, value: prefs.get('account', '') });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = formMessage();
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in');

  const form = h(
    'form',
    { class: 'login-form', 'aria-labelledby': 'login-title', novalidate: false },
    h('h1', { id: 'login-title' }, 'Log in to Switchboard'),
    field('Account', account, 'Your team’s account name, for example “demo”.'),
    field('E-mail', email),
    field('Password', password),
    message.el,
    submit,
  );

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message.clear();
    submit.disabled = true;
    submit.textContent = 'Logging in…';
    try {
      await api.login(account.value.trim(), email.value.trim(), password.value);
      prefs.set('account', account.value.trim());
      const session = await api.me();
      onSignedIn(session);
    } catch (e) {
      message.error(e.message);
      password.select();
      submit.disabled = false;
      submit.textContent = 'Log in';
    }
  });

  root.append(h('section', { class: 'login' }, h('div', { class: 'login-card' }, h('p', { class: 'login-brand', 'aria-hidden': 'true' }, '☎ Switchboard'), form)));
  (account.value ? email : account).focus();
}
