// The live state of js/socket.js without a browser or server: snapshots replace state,
// events apply idempotently by ticket id, a seq gap asks for a resume and drops frames until
// the replay closes it, a moved-away ticket raises a notice, and the backoff stays in bounds.

import { test } from 'node:test';
import assert from 'node:assert/strict';

globalThis.WebSocket ??= { OPEN: 1 };
globalThis.window ??= { addEventListener() {}, removeEventListener() {} };
const { Live, backoffDelay } = await import('../js/socket.js');

const ticket = (id, extra = {}) => ({ id: String(id), state: 'assigned', assignee_id: '7', unanswered: true, guest: { name: `Guest ${id}` }, ...extra });

function live() {
  const l = new Live();
  l.user = { id: '7' };
  l.sent = [];
  l.ws = { readyState: 1, send: (f) => l.sent.push(JSON.parse(f)) };
  l.events = [];
  for (const type of ['snapshot', 'ticket', 'removed', 'message', 'notice', 'work', 'offers', 'wallboard']) {
    l.addEventListener(type, (e) => l.events.push([type, e.detail]));
  }
  l.frame = (f) => l.onFrame(JSON.stringify(f));
  return l;
}

test('a snapshot replaces the whole inbox and sets seq', () => {
  const l = live();
  l.tickets.set('99', ticket(99));
  l.frame({ type: 'snapshot', seq: 5, tickets: [ticket(1), ticket(2, { unanswered: false })], state: { working: true, intake_paused: false, presence: 'online' }, offers: [] });
  assert.deepEqual([...l.tickets.keys()], ['1', '2']);
  assert.equal(l.lastSeq, 5);
  assert.equal(l.work.working, true);
  assert.equal(l.unansweredCount(), 1);
});

test('events apply idempotently by ticket id', () => {
  const l = live();
  l.frame({ type: 'snapshot', seq: 0, tickets: [], state: {}, offers: [] });
  l.frame({ type: 'ticket.assigned', seq: 1, reason: 'new', ticket: ticket(1) });
  l.frame({ type: 'ticket.assigned', seq: 1, reason: 'new', ticket: ticket(1) }); // replayed
  l.frame({ type: 'ticket.assigned', seq: 2, reason: 'rebalanced', ticket: ticket(1, { state: 'assigned' }) }); // upsert
  assert.equal(l.tickets.size, 1);
  l.frame({ type: 'ticket.unassigned', seq: 3, reason: 'done', ticket_id: '42' }); // absent: no-op
  assert.equal(l.tickets.size, 1);
  l.frame({ type: 'message.created', seq: 4, ticket_id: '1', message: { id: '9', direction: 'outbound', body: 'hi' } });
  assert.equal(l.tickets.get('1').unanswered, false);
  assert.equal(l.lastSeq, 4);
  const news = l.events.filter(([t, d]) => t === 'ticket' && d.isNew);
  assert.equal(news.length, 1, 'only the first assignment is new');
});

test('a ticket moved away by rebalancing or a manager raises a notice; a closed one does not', () => {
  const l = live();
  l.frame({ type: 'snapshot', seq: 0, tickets: [ticket(1), ticket(2)], state: {}, offers: [] });
  l.frame({ type: 'ticket.unassigned', seq: 1, reason: 'rebalanced', ticket_id: '1' });
  l.frame({ type: 'ticket.unassigned', seq: 2, reason: 'done', ticket_id: '2' });
  const notices = l.events.filter(([t]) => t === 'notice').map(([, d]) => d.text);
  assert.deepEqual(notices, ['Ticket moved to another agent (Guest 1).']);
  assert.equal(l.tickets.size, 0);
});

test('a gap in seq sends one resume and waits for the replay', () => {
  const l = live();
  l.frame({ type: 'snapshot', seq: 10, tickets: [], state: {}, offers: [] });
  l.frame({ type: 'ticket.assigned', seq: 12, reason: 'new', ticket: ticket(12) });
  l.frame({ type: 'ticket.assigned', seq: 13, reason: 'new', ticket: ticket(13) });
  assert.deepEqual(l.sent, [{ type: 'resume', last_seq: 10 }]);
  assert.equal(l.tickets.size, 0, 'frames after the gap wait for the replay');
  // The replay: 11, 12, 13 in order.
  l.frame({ type: 'ticket.assigned', seq: 11, reason: 'new', ticket: ticket(11) });
  l.frame({ type: 'ticket.assigned', seq: 12, reason: 'new', ticket: ticket(12) });
  l.frame({ type: 'ticket.assigned', seq: 13, reason: 'new', ticket: ticket(13) });
  assert.deepEqual([...l.tickets.keys()].sort(), ['11', '12', '13']);
  assert.equal(l.lastSeq, 13);
  assert.equal(l.resumingSince, 0);
});

test('a hello from a restarted server forgets the old seq', () => {
  const l = live();
  l.frame({ type: 'snapshot', seq: 50, tickets: [], state: {}, offers: [] });
  l.startHeartbeat = () => {};
  l.frame({ type: 'hello', seq: 0, user: { id: '7', state: { working: true } }, heartbeat_seconds: 15 });
  assert.equal(l.lastSeq, null);
  l.frame({ type: 'snapshot', seq: 0, tickets: [ticket(1)], state: {}, offers: [] });
  assert.equal(l.tickets.size, 1);
});

test('an epoch frame moves the client to another history, numbered on from its seq', () => {
  const l = live();
  l.frame({ type: 'snapshot', seq: 8, tickets: [], state: {}, offers: [] });
  l.epoch = 111;
  l.frame({ type: 'epoch', epoch: 222, seq: 3 });
  assert.equal(l.epoch, 222);
  assert.equal(l.lastSeq, 3);
  l.frame({ type: 'ticket.assigned', seq: 4, reason: 'new', ticket: ticket(4) });
  assert.deepEqual(l.sent, [], 'no gap: the history goes on at 4');
  assert.equal(l.tickets.size, 1);
});

test('offers come and go; an assignment clears the offer', () => {
  const l = live();
  l.frame({ type: 'snapshot', seq: 0, tickets: [], state: {}, offers: [ticket(5, { state: 'queued', assignee_id: null })] });
  assert.equal(l.offers.size, 1);
  l.frame({ type: 'offer', seq: 1, ticket: ticket(6, { state: 'queued' }), expires_at: '2030-01-01T00:00:00Z' });
  l.frame({ type: 'offer.withdrawn', seq: 2, ticket_id: '5' });
  l.frame({ type: 'ticket.assigned', seq: 3, reason: 'new', ticket: ticket(6) });
  assert.equal(l.offers.size, 0);
});

test('backoff starts at half a second, doubles, and never waits more than ten seconds', () => {
  assert.equal(backoffDelay(0, () => 0.5), 500);
  assert.equal(backoffDelay(1, () => 0.5), 1000);
  assert.equal(backoffDelay(3, () => 0.5), 4000);
  assert.equal(backoffDelay(20, () => 0.5), 10000);
  for (let n = 0; n < 30; n++) {
    const d = backoffDelay(n);
    assert.ok(d >= 375 && d <= 10000, `attempt ${n}: ${d}`);
  }
});

test('a close saying the login ended stops reconnecting and tells the app', () => {
  const l = new Live();
  l.stopped = false;
  const signedOut = [];
  l.addEventListener('signedout', () => signedOut.push(true));
  const ws = {};
  l.ws = ws;
  l.onClose(ws, 4001);
  assert.equal(signedOut.length, 1);
  assert.equal(l.stopped, true);
  assert.equal(l.timers.reconnect, 0, 'no reconnect is scheduled');
});

test('a close saying the server restarts reconnects at once', () => {
  const l = new Live();
  l.stopped = false;
  l.attempt = 5; // it had been failing: a restart still does not wait for the backoff
  const delays = [];
  l.addEventListener('status', (e) => delays.push(e.detail.delayMs));
  const ws = {};
  l.ws = ws;
  l.onClose(ws, 1012);
  assert.ok(delays[0] <= 250, `reconnects within a quarter second, not ${delays[0]} ms`);
  l.stop();
});
