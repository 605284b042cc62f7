// The live connection (SPEC §6) and the live state it feeds. This is the only module that
// opens the WebSocket, reconnects, resumes, and applies server events; views read the state
// here and listen for its events, they never touch the socket themselves.
//
// State: `tickets` (id → ticket, the caller's inbox as the server last described it),
// `offers` (broadcast offers), `work` (own timer/intake/presence), `wallboard` (managers),
// `mentions` (note id → {ticket_id, note}: notes that mention the caller, not yet looked at).
// Every event is applied idempotently by ticket id, so a replayed or repeated frame is harmless.
//
// Events (all `CustomEvent`s on the `Live` instance):
//   status      {status: 'connecting'|'live'|'offline', attempt, delayMs}
//   hello       {user}
//   snapshot    {}                         state was replaced wholesale
//   ticket      {ticket, reason, kind}     kind: 'assigned' | 'updated'
//   removed     {ticket_id, reason, ticket}
//   message     {ticket_id, message}
//   note        {ticket_id, note}          an internal note (never sent to the guest)
//   mentions    {}                         the unseen mentions changed
//   work        {state}                    own work state changed
//   agent       {agent_id, state}          any agent's state (managers see others)
//   offers      {}
//   wallboard   {wallboard}
//   alert       {alert}                    managers: an alert was raised
//   viewers     {ticket_id, viewers}       the other people on the ticket this tab shows
//   notice      {text}                     a short message for the aria-live region
//   server-error {code, message}

const MIN_DELAY_MS = 500;
/** How often a tab says again which ticket it shows (the server forgets it after 30 s). */
export const VIEWING_EVERY_MS = 10_000;
const MAX_DELAY_MS = 10_000;
const MOVED_AWAY = new Set(['rebalanced', 'agent_left', 'manager', 'return_timer']);
const ACTIVE_STATES = new Set(['assigned', 'opened', 'pending']);

/** Backoff for reconnect attempt `n` (0-based): 0.5 s doubling to 10 s, ±25 % jitter, never past 10 s. */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** Math.min(attempt, 10));
  return Math.min(MAX_DELAY_MS, Math.round(base * (0.75 + random() * 0.5)));
}

/** Close codes the server sends: the login ended; the server is restarting. */
export const CLOSE_SIGNED_OUT = 4001;
export const CLOSE_RESTARTING = 1012;

export class Live extends EventTarget {
  /**
   * @param {object} opts
   * @param {string} [opts.path] WebSocket path on this origin.
   * @param {() => Promise<boolean>} [opts.checkSession] asked after repeated failures; false
   *   means the session is gone and reconnecting stops.
   */
  constructor({ path = '/api/v1/ws', checkSession = null } = {}) {
    super();
    this.path = path;
    this.checkSession = checkSession;
    this.user = null;
    this.tickets = new Map();
    this.offers = new Map();
    this.work = { working: false, intake_paused: false, presence: 'offline' };
    this.wallboard = null;
    this.mentions = new Map();
    /** Tickets with a guest message that arrived live and nobody here has opened since. */
    this.freshMessages = new Set();
    this.status = 'offline';
    this.lastSeq = null;
    /** The history `lastSeq` counts in (from `hello`). */
    this.epoch = null;
    this.ws = null;
    this.attempt = 0;
    this.stopped = true;
    this.heartbeatSeconds = 15;
    this.resumingSince = 0;
    this.lastHeard = 0;
    this.timers = { reconnect: 0, ping: 0, viewing: 0 };
    /** The ticket this tab shows, and whether the user is writing on it (`viewing` frames). */
    this.viewing = null;
    this.onOnline = () => {
      if (!this.stopped && this.status !== 'live') this.reconnectNow();
    };
  }

  // ---- lifecycle -------------------------------------------------------------------------

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  /** Closes for good (logout); the state is cleared. */
  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timers.reconnect);
    clearInterval(this.timers.ping);
    clearInterval(this.timers.viewing);
    this.viewing = null;
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(1000, 'bye');
      this.ws = null;
    }
    this.tickets.clear();
    this.offers.clear();
    this.mentions.clear();
    this.wallboard = null;
    this.lastSeq = null;
    this.setStatus('offline');
  }

  reconnectNow() {
    clearTimeout(this.timers.reconnect);
    if (this.ws) {
      this.ws.onclose = null;
      this.ws.close(4000, 'reconnect');
      this.ws = null;
    }
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // Where we left off: the last seq, in the history (epoch) it was counted in.
    let query = '';
    if (this.lastSeq !== null) {
      query = `?last_seq=${this.lastSeq}`;
      if (this.epoch !== null) query += `&epoch=${this.epoch}`;
    }
    const ws = new WebSocket(`${proto}//${location.host}${this.path}${query}`);
    this.ws = ws;
    this.setStatus('connecting');
    ws.onmessage = (ev) => this.onFrame(ev.data);
    ws.onclose = (ev) => this.onClose(ws, ev && ev.code);
    ws.onerror = () => {}; // onclose follows and handles it
  }

  /**
   * The server says why it closed: 4001 the login ended (stop, and tell the app to show the
   * login page), 1012 it is restarting (reconnect at once, spread over a quarter second),
   * anything else: back off and retry.
   */
  onClose(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    clearInterval(this.timers.ping);
    if (this.stopped) return;
    if (code === CLOSE_SIGNED_OUT) {
      this.stop();
      this.emit('signedout');
      return;
    }
    const delayMs = code === CLOSE_RESTARTING ? Math.round(Math.random() * 250) : backoffDelay(this.attempt);
    this.attempt += 1;
    this.setStatus('offline', { attempt: this.attempt, delayMs });
    this.timers.reconnect = setTimeout(async () => {
      if (this.attempt >= 3 && this.attempt % 3 === 0 && this.checkSession) {
        const ok = await this.checkSession().catch(() => true);
        if (!ok) return this.stop();
      }
      this.connect();
    }, delayMs);
  }

  setStatus(status, extra = {}) {
    this.status = status;
    this.emit('status', { status, ...extra });
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  /**
   * This tab shows `ticketId` (null: none any more), `typing` while the user writes on it. Said
   * at once on a change, again every ten seconds, and after every reconnect; the server tells
   * the other people on the ticket.
   */
  setViewing(ticketId, typing = false) {
    const next = ticketId == null ? null : { ticket_id: String(ticketId), typing: !!typing };
    const same = (a, b) => (a && b ? a.ticket_id === b.ticket_id && a.typing === b.typing : a === b);
    if (same(next, this.viewing)) return;
    this.viewing = next;
    clearInterval(this.timers.viewing);
    this.sendViewing();
    if (next) this.timers.viewing = setInterval(() => this.sendViewing(), VIEWING_EVERY_MS);
  }

  sendViewing() {
    const v = this.viewing;
    this.send({ type: 'viewing', ticket_id: v ? v.ticket_id : '', typing: v ? v.typing : false });
  }

  /** Tells the server the agent looked at a ticket (same as `POST /tickets/{id}/open`). */
  openTicket(ticketId) {
    return this.send({ type: 'open', ticket_id: String(ticketId) });
  }

  startHeartbeat() {
    clearInterval(this.timers.ping);
    const every = Math.max(5, this.heartbeatSeconds) * 1000;
    this.timers.ping = setInterval(() => {
      if (Date.now() - this.lastHeard > every * 3) {
        // Nothing heard for three heartbeats: the connection is dead even if not closed.
        const ws = this.ws;
        if (ws) {
          ws.onclose = null;
          ws.close(4000, 'timeout');
          this.onClose(ws);
        }
        return;
      }
      this.send({ type: 'ping' });
      if (this.resumingSince && Date.now() - this.resumingSince > 5000) {
        // A resume that did not close the gap: start over with a snapshot.
        this.resumingSince = 0;
        this.lastSeq = null;
        this.reconnectNow();
      }
    }, every);
  }

  // ---- frames ----------------------------------------------------------------------------

  onFrame(raw) {
    this.lastHeard = Date.now();
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (!frame || typeof frame.type !== 'string') return;
    switch (frame.type) {
      case 'hello':
        return this.onHello(frame);
      case 'snapshot':
        return this.onSnapshot(frame);
      case 'epoch':
        return this.onEpoch(frame);
      case 'pong':
        return;
      case 'error':
        return this.emit('server-error', { code: frame.code, message: frame.message });
      default:
        if (typeof frame.seq === 'number') return this.onNumbered(frame);
        return this.applyEvent(frame);
    }
  }

  onHello(frame) {
    this.attempt = 0;
    this.user = frame.user || this.user;
    this.heartbeatSeconds = frame.heartbeat_seconds || 15;
    // Another history (another node, a restarted server) numbers on its own; what we hold
    // can't be resumed there and a snapshot follows.
    const epoch = typeof frame.epoch === 'number' ? frame.epoch : null;
    const otherHistory = this.epoch !== null && epoch !== this.epoch;
    if (this.lastSeq !== null && (otherHistory || (typeof frame.seq === 'number' && frame.seq < this.lastSeq))) {
      this.lastSeq = null;
    }
    this.epoch = epoch;
    if (this.user && this.user.state) this.setWork(this.user.state);
    this.setStatus('live');
    this.startHeartbeat();
    // A new socket shows nothing until told.
    if (this.viewing) this.sendViewing();
    this.emit('hello', { user: this.user });
  }

  // The server moved between numbering frames itself and the history every node shares:
  // what follows counts in this epoch, after this seq.
  onEpoch(frame) {
    if (typeof frame.epoch === 'number') this.epoch = frame.epoch;
    if (typeof frame.seq === 'number') this.lastSeq = frame.seq;
  }

  onSnapshot(frame) {
    this.resumingSince = 0;
    this.lastSeq = typeof frame.seq === 'number' ? frame.seq : this.lastSeq;
    this.tickets.clear();
    for (const t of frame.tickets || []) if (t && t.id != null) this.tickets.set(String(t.id), t);
    this.offers.clear();
    for (const o of frame.offers || []) {
      const ticket = o && o.ticket ? o.ticket : o;
      if (ticket && ticket.id != null) {
        this.offers.set(String(ticket.id), { ticket, expires_at: (o && o.expires_at) || null });
      }
    }
    if (frame.state) this.setWork(frame.state, false);
    this.emit('snapshot');
    this.emit('offers');
    this.emit('work', { state: this.work });
  }

  onNumbered(frame) {
    const seq = frame.seq;
    if (this.lastSeq !== null) {
      if (seq <= this.lastSeq) return; // already applied (replay overlap)
      if (seq > this.lastSeq + 1) {
        // A gap: ask for what we missed; frames after the gap come again in the replay.
        if (!this.resumingSince) {
          this.resumingSince = Date.now();
          const resume = { type: 'resume', last_seq: this.lastSeq };
          if (this.epoch !== null) resume.epoch = this.epoch;
          this.send(resume);
        }
        return;
      }
    }
    this.lastSeq = seq;
    this.resumingSince = 0;
    this.applyEvent(frame);
  }

  applyEvent(frame) {
    switch (frame.type) {
      case 'ticket.assigned':
        return this.upsert(frame.ticket, frame.reason || null, 'assigned');
      case 'ticket.updated':
        return this.upsert(frame.ticket, null, 'updated');
      case 'ticket.unassigned':
        return this.remove(frame.ticket_id, frame.reason || null);
      case 'message.created':
        return this.onMessage(frame);
      case 'note.created':
        return this.emit('note', { ticket_id: String(frame.ticket_id), note: frame.note || {} });
      case 'mention':
        return this.onMention(frame);
      // To-dos and mood feed the guest views (to-dos, refunds, staying unhappy).
      case 'todo.updated':
        return this.emit('todo', { ticket_id: String(frame.ticket_id), todo: frame.todo || {} });
      case 'todo.deleted':
        return this.emit('todo', { ticket_id: String(frame.ticket_id), deleted: String(frame.todo_id) });
      case 'ticket.mood':
        return this.emit('mood', { ticket_id: String(frame.ticket_id), mood: frame.mood, set_by: frame.set_by, set_at: frame.set_at });
      case 'views.counts':
        // The account-wide guest views' counts, pushed when reservations, to-dos or moods change.
        return this.emit('counts', { items: frame.items || [], capped_at: frame.capped_at });
      case 'message.updated':
        // A reply's delivery status changed (queued, sent, delivered, failed).
        return this.emit('message-updated', { ticket_id: String(frame.ticket_id), message: frame.message || {} });
      case 'agent.state':
        if (this.user && String(frame.agent_id) === String(this.user.id)) this.setWork(frame.state);
        return this.emit('agent', { agent_id: String(frame.agent_id), state: frame.state });
      case 'offer':
        if (frame.ticket && frame.ticket.id != null) {
          this.offers.set(String(frame.ticket.id), { ticket: frame.ticket, expires_at: frame.expires_at || null });
          this.emit('offers');
        }
        return;
      case 'offer.withdrawn':
        if (this.offers.delete(String(frame.ticket_id))) this.emit('offers');
        return;
      case 'wallboard':
        this.wallboard = frame.wallboard;
        return this.emit('wallboard', { wallboard: frame.wallboard });
      case 'alert':
        return this.emit('alert', { alert: frame.alert || {} });
      case 'ticket.viewers':
        return this.emit('viewers', { ticket_id: String(frame.ticket_id), viewers: frame.viewers || [] });
      default:
        return; // an event this client does not know yet
    }
  }

  /** Inserts or replaces a ticket (also used by views after an HTTP action answers one). */
  upsert(ticket, reason = null, kind = 'updated') {
    if (!ticket || ticket.id == null) return;
    const id = String(ticket.id);
    const previous = this.tickets.get(id);
    this.tickets.set(id, previous ? { ...previous, ...ticket } : ticket);
    if (this.offers.delete(id)) this.emit('offers');
    this.emit('ticket', { ticket: this.tickets.get(id), reason, kind, isNew: !previous });
  }

  remove(ticketId, reason) {
    const id = String(ticketId);
    const ticket = this.tickets.get(id) || null;
    this.tickets.delete(id);
    if (ticket && MOVED_AWAY.has(reason)) {
      const who = ticket.guest && ticket.guest.name ? ` (${ticket.guest.name})` : '';
      const text = reason === 'return_timer' ? `Ticket moved on: it was not opened in time${who}.` : `Ticket moved to another agent${who}.`;
      this.emit('notice', { text });
    }
    this.emit('removed', { ticket_id: id, reason, ticket });
  }

  onMessage(frame) {
    const id = String(frame.ticket_id);
    const t = this.tickets.get(id);
    const m = frame.message || {};
    if (t) {
      // An inbound message means the ticket awaits a reply; an outbound one answers it.
      const unanswered = m.direction === 'inbound' ? true : m.direction === 'outbound' ? false : t.unanswered;
      const at = m.sent_at && (!t.last_activity_at || Date.parse(m.sent_at) > Date.parse(t.last_activity_at)) ? m.sent_at : t.last_activity_at;
      this.tickets.set(id, {
        ...t,
        last_activity_at: at,
        unanswered,
        awaiting_reply_since:
          m.direction === 'inbound' ? t.awaiting_reply_since || m.sent_at || null
          : m.direction === 'outbound' ? null : t.awaiting_reply_since,
      });
    }
    if (m.direction === 'inbound') this.freshMessages.add(id);
    this.emit('message', { ticket_id: id, message: m });
    if (t) this.emit('ticket', { ticket: this.tickets.get(id), reason: null, kind: 'updated', isNew: false });
  }

  onMention(frame) {
    const note = frame.note || {};
    const ticketId = String(frame.ticket_id);
    if (note.id == null || this.mentions.has(String(note.id))) return;
    this.mentions.set(String(note.id), { ticket_id: ticketId, note });
    const who = note.author_name || 'Someone';
    this.emit('notice', { text: `${who} mentioned you in a note.` });
    this.emit('note', { ticket_id: ticketId, note });
    this.emit('mentions');
  }

  /** The caller has looked at a ticket: its mentions are no longer unseen. */
  /** The ticket was looked at: its "New message" marker goes. */
  seeMessages(ticketId) {
    this.freshMessages.delete(String(ticketId));
  }

  seeMentions(ticketId) {
    const id = String(ticketId);
    let changed = false;
    for (const [noteId, m] of this.mentions) {
      if (m.ticket_id === id) changed = this.mentions.delete(noteId) || changed;
    }
    if (changed) this.emit('mentions');
  }

  setWork(state, notify = true) {
    if (!state) return;
    this.work = { ...this.work, ...state };
    if (notify) this.emit('work', { state: this.work });
  }

  // ---- derived ---------------------------------------------------------------------------

  /** The caller's own active tickets (assigned, opened, pending). */
  myActiveTickets() {
    const me = this.user ? String(this.user.id) : null;
    return [...this.tickets.values()].filter(
      (t) => ACTIVE_STATES.has(t.state) && (me === null || String(t.assignee_id) === me),
    );
  }

  /** How many of the caller's tickets wait for a reply (the unread badge). */
  unansweredCount() {
    return this.myActiveTickets().filter((t) => t.unanswered).length;
  }
}
