// The wire values of stages, ticket states, channels and alert kinds with the words shown for them.
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
