// The wire values of stages, ticket states, reservation statuses, channels and alert kinds with the words shown for them.
// Lists feed the filter and card pickers; the `*Label` functions name a single value.

export const STAGES = [
  { value: 'pre_booking', label: 'Pre-booking' },
  { value: 'booked', label: 'Booked' },
  { value: 'staying', label: 'Staying' },
  { value: 'post_stay', label: 'Post-stay' },
];
export const STATES = [
  { value: 'queued', label: 'Queued' },
  { value: 'assigned', label: 'Assigned' },
  { value: 'opened', label: 'Opened' },
  { value: 'pending', label: 'Pending' },
  { value: 'done', label: 'Done' },
];
export const RESERVATION_STATUSES = [
  { value: 'inquiry', label: 'Inquiry' },
  { value: 'request', label: 'Request' },
  { value: 'confirmed', label: 'Confirmed' },
  { value: 'cancelled', label: 'Cancelled' },
];
export const CHANNELS = [
  { value: 'airbnb', label: 'Airbnb' },
  { value: 'booking', label: 'Booking.com' },
  { value: 'vrbo', label: 'Vrbo' },
  { value: 'direct', label: 'Direct' },
  { value: 'email', label: 'E-mail' },
  { value: 'sms', label: 'SMS' },
  { value: 'whatsapp', label: 'WhatsApp' },
];
export const ALERT_KINDS = [
  { value: 'sla_warning', label: 'SLA warning: 80% of the response time gone' },
  { value: 'sla_breach', label: 'SLA breached' },
  { value: 'queue_wait', label: 'Waiting in the queue' },
  { value: 'agent_left', label: 'Agent left with an opened ticket' },
  { value: 'pending_waiting', label: 'Pending: waiting for a manager' },
];
const labelOf = (list, v) => (list.find((x) => x.value === v) || { label: v || '—' }).label;
export const stageLabel = (v) => labelOf(STAGES, v);
export const stateLabel = (v) => labelOf(STATES, v);
export const channelLabel = (v) => labelOf(CHANNELS, v);
export const alertLabel = (v) => labelOf(ALERT_KINDS, v);

/** Whether a ticket still waits for a reply: a done ticket is finished, whatever it last heard. */
export const awaitsReply = (t) => !!t.unanswered && t.state !== 'done';

/** Who has a ticket, in words, for `me` (the signed-in user's id). */
export function holderLabel(t, me) {
  if (!t.assignee_id) return 'In the queue: nobody has it yet';
  if (String(t.assignee_id) === String(me)) return 'Assigned to you';
  return `Assigned to ${t.assignee_name || 'another agent'}`;
}

/** Why a ticket went to its agent (`ticket.assigned` reasons), in words. */
const REASONS = { new: 'new ticket', rebalanced: 'rebalanced', follow_up: 'follow-up', manager: 'by a manager', agent_left: 'the agent left', return_timer: 'returned unanswered', overflow: 'overflow' };
export const reasonLabel = (r) => REASONS[r] || r || '';

/** One activity-log entry as a sentence. */
export function activityLabel(e) {
  const who = e.agent_name || 'someone';
  const by = e.actor_name && e.actor_name !== e.agent_name ? ` by ${e.actor_name}` : '';
  switch (e.kind) {
    case 'ticket.created':
      return 'The guest wrote: ticket created';
    case 'ticket.assigned':
      return `Assigned to ${who} (${reasonLabel(e.reason)})${by}`;
    case 'ticket.unassigned':
      return `Taken from ${who} (${reasonLabel(e.reason)})${by}`;
    case 'ticket.opened':
      return `${who} opened it`;
    case 'ticket.replied':
      return `${who} replied`;
    case 'ticket.pending':
      return `${who} marked it pending`;
    case 'ticket.done':
      return `${who} marked it done`;
    case 'ticket.follow_up':
      return `Parked for a follow-up${e.actor_name ? ` by ${e.actor_name}` : ''}`;
    default:
      return e.kind;
  }
}
