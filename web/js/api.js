// The one place the browser talks HTTP to the server: every call goes through `request`,
// which sends the session cookie, speaks JSON, and turns the server's error shape
// `{"error": {"code", "message"}}` into a thrown `ApiError` whose message is fit to show.

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    // What the error body says beside code and message (e.g. `mismatches`).
    this.details = details;
  }
}

/** Builds `path?query` from an object, leaving out empty values. */
export function withQuery(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** Absolute URL of an API path (for links such as CSV downloads). */
export function apiUrl(path, params) {
  return API_BASE + withQuery(path, params);
}

let onUnauthorized = null;
/** Called with the error whenever the server says the session is gone (401). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export async function request(method, path, body, { query, signal } = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    signal,
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(API_BASE + withQuery(path, query), init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  const type = res.headers.get('Content-Type') || '';
  let data = null;
  if (res.status !== 204) {
    if (type.includes('application/json')) {
      data = await res.json().catch(() => null);
    } else {
      data = await res.text().catch(() => '');
    }
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' && data.error;
    const { code, message, ...details } = err || {};
    const error = new ApiError(
      res.status,
      code || `http_${res.status}`,
      message || defaultMessage(res.status),
      details,
    );
    if (res.status === 401 && onUnauthorized && !path.startsWith('/auth/login')) onUnauthorized(error);
    throw error;
  }
  return data;
}

function defaultMessage(status) {
  if (status === 404) return 'Not found.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 429) return 'Too many requests; wait a moment and try again.';
  if (status >= 500) return 'The server had a problem; try again in a moment.';
  return `The request failed (HTTP ${status}).`;
}

const get = (path, query, opts) => request('GET', path, undefined, { ...opts, query });
const post = (path, body) => request('POST', path, body ?? {});
const patch = (path, body) => request('PATCH', path, body);
const del = (path) => request('DELETE', path);
const id = (v) => encodeURIComponent(v);

export const api = {
  // Session
  login: (account, email, password) => post('/auth/login', { account, email, password }),
  logout: () => post('/auth/logout'),
  me: () => get('/me'),

  // Work state
  startTimer: () => post('/me/timer/start'),
  stopTimer: () => post('/me/timer/stop'),
  pauseIntake: () => post('/me/intake/pause'),
  resumeIntake: () => post('/me/intake/resume'),

  // Tickets
  tickets: (params, opts) => get('/tickets', params, opts),
  /** Each guest view's count for the caller (capped): the inbox tabs' numbers. */
  viewCounts: () => get('/tickets/counts'),
  ticket: (ticketId) => get(`/tickets/${id(ticketId)}`),
  ticketActivity: (ticketId) => get(`/tickets/${id(ticketId)}/activity`),
  openTicket: (ticketId) => post(`/tickets/${id(ticketId)}/open`),
  reply: (ticketId, body) => post(`/tickets/${id(ticketId)}/reply`, { body }),
  pending: (ticketId, note) => post(`/tickets/${id(ticketId)}/pending`, { note }),
  done: (ticketId) => post(`/tickets/${id(ticketId)}/done`),
  claim: (ticketId) => post(`/tickets/${id(ticketId)}/claim`),
  /** An internal note: the team sees it, the guest never does. */
  addNote: (ticketId, body) => post(`/tickets/${id(ticketId)}/notes`, { body }),
  /** The ticket's to-dos: `{title, kind: refund|follow_up|task, due_at?}`; tick with `{done}`. */
  myTodos: () => get('/todos'),
  todos: (ticketId) => get(`/tickets/${id(ticketId)}/todos`),
  addTodo: (ticketId, todo) => post(`/tickets/${id(ticketId)}/todos`, todo),
  updateTodo: (ticketId, todoId, changes) => patch(`/tickets/${id(ticketId)}/todos/${id(todoId)}`, changes),
  deleteTodo: (ticketId, todoId) => del(`/tickets/${id(ticketId)}/todos/${id(todoId)}`),
  /** The guest panel: matched records, other tickets and stays, languages, latest review. */
  guestPanel: (guestId) => get(`/guests/${id(guestId)}`),
  /** A listing's stays with a night in [from, to) (YYYY-MM-DD), overlaps marked. */
  listingCalendar: (listingId, from, to) => get(`/listings/${id(listingId)}/calendar`, { from, to }),
  /** Parks the ticket until `at` (RFC 3339) with a note; answers the ticket. */
  setFollowUp: (ticketId, at, note) => post(`/tickets/${id(ticketId)}/follow-up`, { at, note }),
  /** The guest's mood on the ticket, 1–5. */
  setMood: (ticketId, mood) => post(`/tickets/${id(ticketId)}/mood`, { mood }),
  assign: (ticketId, agentId, force = false) =>
    post(`/tickets/${id(ticketId)}/assign`, { agent_id: String(agentId), force }),
  /** Sends a failed reply to the channel again. */
  retryMessage: (messageId) => post(`/messages/${id(messageId)}/retry`),

  // Agents (managers)
  agents: () => get('/agents'),
  createAgent: (agent) => post('/agents', agent),
  updateAgent: (agentId, changes) => patch(`/agents/${id(agentId)}`, changes),
  /** A manager pauses an agent's intake or stops their timer (past a group's floor). */
  pauseIntakeOf: (agentId) => post(`/agents/${id(agentId)}/intake/pause`),
  stopTimerOf: (agentId) => post(`/agents/${id(agentId)}/timer/stop`),

  // Routing groups (managers)
  groups: () => get('/groups'),
  createGroup: (g) => post('/groups', g),
  updateGroup: (groupId, changes) => patch(`/groups/${id(groupId)}`, changes),
  deleteGroup: (groupId) => del(`/groups/${id(groupId)}`),

  // Templates
  templates: () => get('/templates'),
  createTemplate: (t) => post('/templates', t),
  updateTemplate: (templateId, t) => patch(`/templates/${id(templateId)}`, t),
  deleteTemplate: (templateId) => del(`/templates/${id(templateId)}`),
  /** The template filled in by the server for one ticket's guest and the signed-in agent. */
  previewTemplate: (templateId, ticketId) =>
    post(`/templates/${id(templateId)}/preview`, { ticket_id: String(ticketId) }),

  // Channel connections (managers): where replies are delivered.
  connections: () => get('/connections'),
  createConnection: (c) => post('/connections', c),
  updateConnection: (connectionId, changes) => patch(`/connections/${id(connectionId)}`, changes),
  deleteConnection: (connectionId) => del(`/connections/${id(connectionId)}`),
  testConnection: (connectionId) => post(`/connections/${id(connectionId)}/test`),
  connectionDeliveries: (connectionId) => get(`/connections/${id(connectionId)}/deliveries`),

  // Account (managers)
  account: () => get('/account'),
  updateAccount: (changes) => patch('/account', changes),

  // Reports and wallboard (managers)
  agentReport: (from, to) => get('/reports/agents', { from, to }),
  teamReport: (from, to) => get('/reports/team', { from, to, compare: 'previous' }),
  wallboard: () => get('/wallboard'),
  alerts: (state = 'open') => get('/alerts', { state }),
  ackAlert: (alertId) => post(`/alerts/${id(alertId)}/ack`),
};
