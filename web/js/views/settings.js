// Managers: the account settings of SPEC §1.

import { get, patch } from '../api.js';
import { h, field, notice } from '../dom.js';

export async function settingsView(main) {
  const a = await get('/account');
  const name = h('input', { value: a.name });
  const sla = h('input', { type: 'number', min: 1, value: a.response_sla_seconds });
  const strategy = h('select', {}, ...['balanced', 'round_robin', 'broadcast'].map((s) => h('option', { value: s, selected: a.assignment_strategy === s }, s.replace('_', ' '))));
  const threshold = h('input', { type: 'number', min: 1, value: a.rebalance_threshold });
  const grace = h('input', { type: 'number', min: 0, value: a.offline_grace_seconds });
  const tz = h('input', { value: a.timezone });
  const error = h('p', { class: 'error', role: 'alert' });
  main.append(h('h1', {}, 'Settings'), h('form', { class: 'form card', onsubmit: async (e) => {
    e.preventDefault();
    error.textContent = '';
    try {
      await patch('/account', { name: name.value, response_sla_seconds: Number(sla.value), assignment_strategy: strategy.value,
        rebalance_threshold: Number(threshold.value), offline_grace_seconds: Number(grace.value), timezone: tz.value });
      notice('Settings saved');
    } catch (err) { error.textContent = err.message; }
  } }, field('Account name', name), field('Response SLA (seconds)', sla), field('Assignment strategy', strategy),
    field('Rebalance threshold (unanswered tickets)', threshold), field('Offline grace (seconds)', grace), field('Timezone (IANA)', tz),
    error, h('button', { class: 'primary', type: 'submit' }, 'Save')));
}
