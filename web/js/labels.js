// The wire values of stages, ticket states and channels with the words shown for them.
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
export const CHANNELS = [
  { value: 'airbnb', label: 'Airbnb' },
  { value: 'booking', label: 'Booking.com' },
  { value: 'vrbo', label: 'Vrbo' },
  { value: 'direct', label: 'Direct' },
  { value: 'email', label: 'E-mail' },
  { value: 'sms', label: 'SMS' },
  { value: 'whatsapp', label: 'WhatsApp' },
];
const labelOf = (list, v) => (list.find((x) => x.value === v) || { label: v || '—' }).label;
export const stageLabel = (v) => labelOf(STAGES, v);
export const stateLabel = (v) => labelOf(STATES, v);
export const channelLabel = (v) => labelOf(CHANNELS, v);

/** Whether a ticket still waits for a reply: a done ticket is finished, whatever it last heard. */
export const awaitsReply = (t) => !!t.unanswered && t.state !== 'done';

/** Who has a ticket, in words, for `me` (the signed-in user's id). */
export function holderLabel(t, me) {
  if (!t.assignee_id) return 'In the queue: nobody has it yet';
  if (String(t.assignee_id) === String(me)) return 'Assigned to you';
  return `Assigned to ${t.assignee_name || 'another agent'}`;
}
