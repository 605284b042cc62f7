// Managers: the account's dispatching settings (SPEC §1): response SLA, assignment strategy,
// rebalance threshold, offline grace, timezone, the return timer (and one per stage), the
// alerts webhook and how far back the Recently confirmed view looks.

import { h } from '../dom.js';
import { field, formMessage, busy } from '../forms.js';
import { STAGES } from '../labels.js';

const STRATEGIES = [
  { value: 'balanced', label: 'Balanced — fewest unanswered first' },
  { value: 'round_robin', label: 'Round robin — agents take turns' },
  { value: 'broadcast', label: 'Broadcast — offer to everyone, first to claim' },
];

function timezones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = ['UTC', 'Europe/Lisbon', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo'];
  }
  if (!zones.includes('UTC')) zones = ['UTC', ...zones];
  if (current && !zones.includes(current)) zones = [current, ...zones];
  return zones;
}

export async function render({ root, api, notify }) {
  const section = h('section', { class: 'page narrow', 'aria-labelledby': 'settings-title' }, h('h1', { id: 'settings-title' }, 'Settings'), h('p', { class: 'loading' }, 'Loading…'));
  root.append(section);
  let account;
  try {
    account = await api.account();
  } catch (e) {
    section.lastChild.textContent = e.message;
    return;
  }
  section.lastChild.remove();

  const name = h('input', { name: 'name', required: true, value: account.name });
  const slaMin = h('input', { name: 'response_sla_minutes', type: 'number', min: '0.1', step: 'any', required: true, value: String(Math.round((account.response_sla_seconds / 60) * 100) / 100) });
  const strategy = h('select', { name: 'assignment_strategy' }, STRATEGIES.map((s) => h('option', { value: s.value, selected: s.value === account.assignment_strategy }, s.label)));
  const threshold = h('input', { name: 'rebalance_threshold', type: 'number', min: '1', step: '1', required: true, value: String(account.rebalance_threshold) });
  const grace = h('input', { name: 'offline_grace_seconds', type: 'number', min: '0', step: '1', required: true, value: String(account.offline_grace_seconds) });
  const returnAfter = h('input', { name: 'return_after_seconds', type: 'number', min: '1', step: '1', value: account.return_after_seconds == null ? '' : String(account.return_after_seconds) });
  const byStage = account.return_after_seconds_by_stage || {};
  const stageTimers = STAGES.map((stage) => ({
    stage,
    input: h('input', { name: `return_after_seconds_${stage.value}`, type: 'number', min: '1', step: '1', value: byStage[stage.value] == null ? '' : String(byStage[stage.value]) }),
  }));
  const webhook = h('input', { name: 'notification_webhook_url', type: 'url', placeholder: 'https://hooks.slack.com/services/…', value: account.notification_webhook_url || '' });
  const recentDays = h('input', { name: 'recently_confirmed_days', type: 'number', min: '1', max: '90', step: '1', required: true, value: String(account.recently_confirmed_days) });
  const tz = h('select', { name: 'timezone' }, timezones(account.timezone).map((z) => h('option', { value: z, selected: z === account.timezone }, z)));
  const msg = formMessage();
  const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save settings');
  const form = h(
    'form',
    { class: 'card-form stack' },
    field('Account name', name),
    field('Response SLA (minutes)', slaMin, 'A reply within this time counts as meeting the SLA.'),
    field('Assignment strategy', strategy),
    field('Rebalance threshold', threshold, 'Move unopened tickets when one agent has this many more unanswered than another.'),
    field('Offline grace (seconds)', grace, 'How long a disconnected agent keeps their unopened tickets.'),
    field('Timezone', tz, 'Days and months in reports and the wallboard follow this timezone.'),
    field('Return timer (seconds)', returnAfter, 'An assigned ticket not opened within this time moves to another agent. Empty: off.'),
    ...stageTimers.map(({ stage, input }) => field(`Return timer for ${stage.label.toLowerCase()} (seconds)`, input, 'Empty: the return timer above.')),
    field('Alerts webhook', webhook, 'Alerts are POSTed here as Slack-compatible JSON. Empty: none.'),
    field('Recently confirmed (days)', recentDays, 'The Recently confirmed view shows bookings confirmed within this many days (1–90).'),
    msg.el,
    save,
  );
  // An edit makes an earlier "Saved." stale; it must never stand beside a new error.
  form.addEventListener('input', () => msg.clear());
  form.addEventListener('invalid', () => msg.clear(), true);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    msg.clear();
    const changes = {
      name: name.value.trim(),
      response_sla_seconds: Math.round(Number(slaMin.value) * 60),
      assignment_strategy: strategy.value,
      rebalance_threshold: Number(threshold.value),
      offline_grace_seconds: Number(grace.value),
      timezone: tz.value,
      return_after_seconds: returnAfter.value === '' ? null : Number(returnAfter.value),
      return_after_seconds_by_stage: Object.fromEntries(stageTimers.filter(({ input }) => input.value !== '').map(({ stage, input }) => [stage.value, Number(input.value)])),
      notification_webhook_url: webhook.value.trim() === '' ? null : webhook.value.trim(),
      recently_confirmed_days: Number(recentDays.value),
    };
    busy(save, async () => {
      try {
        account = await api.updateAccount(changes);
        msg.ok('Saved.');
        notify('Settings saved.');
      } catch (e) {
        msg.error(e.message);
      }
    });
  });
  section.append(form);
}
