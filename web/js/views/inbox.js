// The agent inbox: work controls (timer, intake, presence, unread count, sound), broadcast
// offers, the view tabs with search and filters, and the ticket list, kept live from the
// socket's events without reloading.

import { h, replace } from '../dom.js';
import { field, busy } from '../forms.js';
import { STAGES, STATES, CHANNELS, RESERVATION_STATUSES, stageLabel, stateLabel, channelLabel, awaitsReply } from '../labels.js';
import { fmtAgo, fmtDate, secondsSince, fmtDuration } from '../format.js';
import { prefs } from '../prefs.js';
import { desktopOn, setDesktop } from '../desktop.js';

// The working tabs, one tab list: Home and End stay within them.
const TABS = [
  { view: 'unanswered', label: 'Unanswered' },
  { view: 'mine', label: 'My tickets' },
  { view: 'pending', label: 'Pending' },
  { view: 'done', label: 'Done' },
  { view: 'all', label: 'All' },
];
// The guest views (issue 14), a second tab list beside the first: their membership depends on
// to-dos, reservations and mood, which change without a ticket frame (a to-do, a reservation
// update), so their lists come from the server and their counts from `GET /tickets/counts`
// (one cheap request, see drawGuestCounts) or the server's `views.counts` frame.
const GUEST_TABS = [
  { view: 'follow_ups', label: 'Follow-ups' },
  { view: 'overbooking', label: 'Overbooking' },
  { view: 'recently_confirmed', label: 'Recently confirmed' },
  { view: 'todos', label: 'My to-dos' },
  { view: 'waiting_refunds', label: 'Refunds' },
  { view: 'awaiting_payment', label: 'Awaiting payment' },
  { view: 'staying_unhappy', label: 'Staying unhappy' },
];
const GUEST = new Set(GUEST_TABS.map((t) => t.view));
// Counts are asked for when the inbox opens and then at most once per COUNTS_EVERY ms after
// frames that may change them, never while a request is under way.
const COUNTS_EVERY = 2000;
const EMPTY = {
  unanswered: 'Nothing waits for a reply. New guest messages appear here as they arrive.',
  mine: 'You have no open tickets.',
  pending: 'No tickets are pending.',
  done: 'No closed tickets match.',
  all: 'No tickets match.',
  follow_ups: 'No tickets wait for a follow-up.',
  overbooking: 'No stays overlap.',
  recently_confirmed: 'No inquiry booked lately.',
  todos: 'No open to-dos on your tickets.',
  waiting_refunds: 'No refunds are waiting.',
  awaiting_payment: 'No confirmed stays wait for payment.',
  staying_unhappy: 'No unhappy guests are staying now.',
};

// Set when the user switches tabs from the tab list, so the re-rendered list gets focus back.
let refocusTab = false;

// Where the user left each tab (how many tickets "Load more" had shown, and the scroll
// position), so coming back from a ticket puts them where they were.
const placeByTab = new Map();

const byNewest = (a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : Number(b.id) - Number(a.id));
// Longest waiting first, as the server sorts `sort=waiting`: by the oldest unanswered guest
// message (an answered ticket by its creation), then by id.
const waitingSince = (t) => Date.parse(t.awaiting_reply_since || t.created_at);
const byWaiting = (a, b) => waitingSince(a) - waitingSince(b) || Number(a.id) - Number(b.id);
// Latest activity first, as the server sorts `sort=activity`: by the newest message, guest's
// or agent's (or the creation), then by id.
const activeAt = (t) => Date.parse(t.last_activity_at || t.created_at);
const byActivity = (a, b) => activeAt(b) - activeAt(a) || Number(b.id) - Number(a.id);
const ORDERS = [
  { value: 'waiting', label: 'Longest waiting first' },
  { value: 'newest', label: 'Newest first' },
  { value: 'activity', label: 'Latest activity' },
];
const COMPARE = { waiting: byWaiting, newest: byNewest, activity: byActivity };

export function render(ctx) {
  const { root, api, live, session, params, notify, navigate } = ctx;
  const me = String(session.user.id);
  const isManager = session.user.role === 'manager';
  const view = [...TABS, ...GUEST_TABS].some((t) => t.view === params[0]) ? params[0] : 'unanswered';
  const filters = prefs.get('inbox.filters', {});
  let items = [];
  let nextCursor = null;
  let loading = false;
  let fetchSeq = 0;
  const disposers = [];
  const on = (target, type, fn) => {
    target.addEventListener(type, fn);
    disposers.push(() => target.removeEventListener(type, fn));
  };

  // ---- work bar --------------------------------------------------------------------------
  const presence = h('span', { class: 'presence', role: 'status' });
  const timerBtn = h('button', { type: 'button', class: 'btn', id: 'timer-toggle' });
  const intakeBtn = h('button', { type: 'button', class: 'btn', id: 'intake-toggle' });
  const badge = h('span', { class: 'badge', id: 'unread-badge' });
  const soundId = 'sound-toggle';
  const sound = h('input', { type: 'checkbox', id: soundId, checked: prefs.get('sound', false) });
  sound.addEventListener('change', () => prefs.set('sound', sound.checked));
  const desktopId = 'desktop-toggle';
  const desktop = h('input', { type: 'checkbox', id: desktopId, checked: desktopOn() });
  desktop.addEventListener('change', async () => {
    desktop.checked = await setDesktop(desktop.checked);
    if (!desktop.checked && Notification.permission === 'denied') notify('The browser blocks notifications for this site; allow them in its site settings.', 'error');
  });

  function drawWork() {
    const w = live.work;
    timerBtn.textContent = w.working ? 'Stop timer' : 'Start timer';
    timerBtn.setAttribute('aria-pressed', String(!!w.working));
    timerBtn.classList.toggle('btn-primary', !w.working);
    intakeBtn.textContent = w.intake_paused ? 'Resume intake' : 'Pause intake';
    intakeBtn.setAttribute('aria-pressed', String(!!w.intake_paused));
    intakeBtn.disabled = !w.working && !w.intake_paused;
    const p = live.status === 'live' ? w.presence || 'online' : live.status === 'connecting' ? 'away' : 'offline';
    const label = !w.working ? 'Not working' : w.intake_paused ? 'Intake paused' : p === 'online' ? 'Receiving tickets' : p === 'away' ? 'Away' : 'Offline';
    presence.dataset.presence = !w.working ? 'offline' : w.intake_paused ? 'paused' : p;
    replace(presence, h('span', { class: 'dot', 'aria-hidden': 'true' }), ' ', label);
  }

  function drawBadge() {
    const n = live.unansweredCount();
    badge.textContent = String(n);
    badge.setAttribute('aria-label', `${n} unanswered`);
    badge.hidden = false;
    badge.classList.toggle('badge-zero', n === 0);
    const tabCount = root.querySelector('[data-view="unanswered"] .tab-count');
    if (tabCount) tabCount.textContent = n ? String(n) : '';
  }

  timerBtn.addEventListener('click', () =>
    busy(timerBtn, async () => {
      try {
        const user = live.work.working ? await api.stopTimer() : await api.startTimer();
        live.setWork(user.state || { working: !live.work.working });
      } catch (e) {
        notify(e.message, 'error');
      }
    }).then(drawWork),
  );
  intakeBtn.addEventListener('click', () =>
    busy(intakeBtn, async () => {
      try {
        const user = live.work.intake_paused ? await api.resumeIntake() : await api.pauseIntake();
        live.setWork(user.state || { intake_paused: !live.work.intake_paused });
      } catch (e) {
        notify(e.message, 'error');
      }
    }).then(drawWork),
  );

  const workbar = h(
    'section',
    { class: 'workbar', 'aria-label': 'Your work state' },
    presence,
    h('div', { class: 'workbar-buttons' }, timerBtn, intakeBtn),
    h('span', { class: 'unread' }, 'Unanswered ', badge),
    h('label', { class: 'check', for: soundId }, sound, ' Sound on new ticket'),
    typeof Notification === 'undefined' ? null : h('label', { class: 'check', for: desktopId }, desktop, ' Desktop notifications'),
  );

  // ---- offers (broadcast strategy) -------------------------------------------------------
  const offersEl = h('section', { class: 'offers', 'aria-label': 'Tickets offered to you', hidden: true });
  function drawOffers() {
    const offers = [...live.offers.values()];
    offersEl.hidden = offers.length === 0;
    replace(
      offersEl,
      h('h2', {}, 'Offered to you'),
      h(
        'ul',
        { class: 'offer-list' },
        offers.map(({ ticket, expires_at }) => {
          const claim = h('button', { type: 'button', class: 'btn btn-primary' }, 'Claim');
          claim.addEventListener('click', () =>
            busy(claim, async () => {
              try {
                const t = await api.claim(ticket.id);
                if (t && t.id) live.upsert(t, 'new', 'assigned');
                notify(`You claimed ${ticket.guest ? ticket.guest.name : 'the ticket'}.`);
                navigate(`#/tickets/${ticket.id}`);
              } catch (e) {
                notify(e.message, 'error');
                live.offers.delete(String(ticket.id));
                drawOffers();
              }
            }),
          );
          const left = expires_at ? Math.max(0, Math.round((Date.parse(expires_at) - Date.now()) / 1000)) : null;
          return h(
            'li',
            { class: 'offer' },
            h('span', {}, h('strong', {}, ticket.guest ? ticket.guest.name : 'Guest'), ` · ${channelLabel(ticket.channel)} · ${stageLabel(ticket.stage)}`),
            left !== null ? h('span', { class: 'muted' }, ` ${left} s left`) : null,
            claim,
          );
        }),
      ),
    );
  }

  // ---- tabs ------------------------------------------------------------------------------
  /** One tab list (arrow keys, Home and End move within it). */
  function tabList(tabs, label) {
    const el = h(
      'div',
      { role: 'tablist', 'aria-label': label, class: 'tabs' },
      tabs.map((t) =>
        h(
          'button',
          {
            type: 'button',
            role: 'tab',
            id: `tab-${t.view}`,
            'aria-selected': String(t.view === view),
            'aria-controls': 'inbox-panel',
            // One tab of each list is reachable with Tab: the selected one, or the first.
            tabindex: t.view === view || (!tabs.some((x) => x.view === view) && t === tabs[0]) ? '0' : '-1',
            dataset: { view: t.view },
            onclick: () => {
              refocusTab = true;
              navigate(`#/inbox/${t.view}`);
            },
          },
          t.label,
          t.view === 'unanswered' || GUEST.has(t.view) ? h('span', { class: 'tab-count', 'aria-hidden': 'true' }) : null,
        ),
      ),
    );
    el.addEventListener('keydown', (ev) => {
      const all = [...el.querySelectorAll('[role="tab"]')];
      const i = all.indexOf(document.activeElement);
      if (i < 0) return;
      let next = null;
      if (ev.key === 'ArrowRight') next = all[(i + 1) % all.length];
      else if (ev.key === 'ArrowLeft') next = all[(i - 1 + all.length) % all.length];
      else if (ev.key === 'Home') next = all[0];
      else if (ev.key === 'End') next = all[all.length - 1];
      if (next) {
        ev.preventDefault();
        next.focus();
        refocusTab = true;
        navigate(`#/inbox/${next.dataset.view}`);
      }
    });
    return el;
  }
  const tablist = h('div', { class: 'tab-groups' }, tabList(TABS, 'Inbox views'), tabList(GUEST_TABS, 'Guest views'));

  // ---- search and filters ----------------------------------------------------------------
  const opt = (list, selected, any) => [h('option', { value: '' }, any), ...list.map((o) => h('option', { value: o.value, selected: o.value === selected }, o.label))];
  const q = h('input', { type: 'search', name: 'q', value: filters.q || '', placeholder: 'Guest name or reservation id' });
  const channel = h('select', { name: 'channel' }, opt(CHANNELS, filters.channel, 'Any channel'));
  const stage = h('select', { name: 'stage' }, opt(STAGES, filters.stage, 'Any stage'));
  const status = h('select', { name: 'status' }, opt(STATES, filters.status, 'Any status'));
  const listing = h('input', { type: 'text', name: 'listing', value: filters.listing || '', placeholder: 'Listing' });
  const from = h('input', { type: 'date', name: 'from', value: filters.from || '' });
  const to = h('input', { type: 'date', name: 'to', value: filters.to || '' });
  // The CRM's filters (stay dates, reservation status, price, time since created): All tab only.
  const crmTab = view === 'all';
  const stayFrom = h('input', { type: 'date', name: 'stay_from', value: filters.stay_from || '' });
  const stayTo = h('input', { type: 'date', name: 'stay_to', value: filters.stay_to || '' });
  const reservationStatus = h('select', { name: 'reservation_status' }, opt(RESERVATION_STATUSES, filters.reservation_status, 'Any reservation'));
  const priceMin = h('input', { type: 'number', name: 'price_min', min: '0', step: 'any', value: filters.price_min || '' });
  const priceMax = h('input', { type: 'number', name: 'price_max', min: '0', step: 'any', value: filters.price_max || '' });
  const maxAge = h('input', { type: 'number', name: 'max_age_hours', min: '0', max: '87600', step: '1', value: filters.max_age_hours || '' });
  const minAge = h('input', { type: 'number', name: 'min_age_hours', min: '0', max: '87600', step: '1', value: filters.min_age_hours || '' });
  const crmInputs = crmTab ? [stayFrom, stayTo, reservationStatus, priceMin, priceMax, maxAge, minAge] : [];
  const crmFields = crmTab
    ? [
        field('Stay from', stayFrom, 'A night on or after'),
        field('Stay to', stayTo, 'and before'),
        field('Reservation', reservationStatus),
        field('Price from', priceMin, 'Total price at least'),
        field('Price to', priceMax, 'and at most'),
        field('Created within (hours)', maxAge),
        field('Created over (hours ago)', minAge),
      ]
    : [];
  const clearBtn = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Clear filters');
  // The unanswered tab puts the guest who has waited longest first; the others the newest.
  const sortKey = `inbox.sort.${view}`;
  const sort = h(
    'select',
    { name: 'sort', id: 'inbox-sort' },
    ORDERS.map((o) => h('option', { value: o.value, selected: o.value === prefs.get(sortKey, view === 'unanswered' ? 'waiting' : 'newest') }, o.label)),
  );
  const byOrder = () => COMPARE[sort.value] || byNewest;
  sort.addEventListener('change', () => {
    prefs.set(sortKey, sort.value);
    load();
  });
  const filterForm = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Search and filter tickets' },
    h('div', { class: 'search-row' }, field('Search', q), h('button', { type: 'submit', class: 'btn' }, 'Search'), field('Sort', sort)),
    h(
      'details',
      { class: 'filter-more', open: !!(filters.channel || filters.stage || filters.status || filters.listing || filters.from || filters.to || crmInputs.some((el) => el.value)) },
      h('summary', {}, 'Filters'),
      h('div', { class: 'filter-grid' }, field('Channel', channel), field('Stage', stage), field('Status', status), field('Listing', listing), field('From', from, 'Conversation started on or after'), field('To', to, 'and before'), ...crmFields, clearBtn),
    ),
  );
  const readFilters = () => ({
    q: q.value.trim(),
    channel: channel.value,
    stage: stage.value,
    status: status.value,
    listing: listing.value.trim(),
    from: from.value,
    to: to.value,
    ...Object.fromEntries(crmInputs.map((el) => [el.name, el.value.trim()])),
  });
  const filtered = () => Object.values(readFilters()).some(Boolean);
  const applyFilters = () => {
    Object.assign(filters, readFilters());
    prefs.set('inbox.filters', filters);
    load();
  };
  filterForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    applyFilters();
  });
  for (const el of [channel, stage, status, from, to, ...crmInputs]) el.addEventListener('change', applyFilters);
  let typing = 0;
  for (const el of [q, listing]) {
    el.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(applyFilters, 300);
    });
  }
  clearBtn.addEventListener('click', () => {
    for (const el of [q, channel, stage, status, listing, from, to, ...crmInputs]) el.value = '';
    applyFilters();
  });

  // ---- list ------------------------------------------------------------------------------
  const list = h('ul', { class: 'ticket-list', 'aria-label': 'Tickets' });
  const more = h('button', { type: 'button', class: 'btn', hidden: true }, 'Load more');
  const listStatus = h('p', { class: 'list-status', role: 'status' });
  const panel = h('div', { role: 'tabpanel', id: 'inbox-panel', 'aria-labelledby': `tab-${view}`, tabindex: '0', class: 'inbox-panel' }, listStatus, list, more);

  function row(t) {
    const r = t.reservation;
    const waiting = awaitsReply(t) && t.awaiting_reply_since ? secondsSince(t.awaiting_reply_since) : null;
    const holder = t.assignee_id && String(t.assignee_id) !== me ? ` · ${t.assignee_name || 'another agent'}` : '';
    return h(
      'li',
      { class: `ticket-row${awaitsReply(t) ? ' is-unanswered' : ''}`, dataset: { ticketId: String(t.id), state: t.state } },
      h(
        'a',
        { href: `#/tickets/${t.id}`, class: 'ticket-link' },
        h(
          'span',
          { class: 'ticket-main' },
          h('strong', { class: 'guest-name' }, (t.guest && t.guest.name) || 'Guest'),
          awaitsReply(t) ? h('span', { class: 'pill pill-alert' }, 'Unanswered') : null,
          live.freshMessages.has(String(t.id)) ? h('span', { class: 'pill pill-new' }, 'New message') : null,
          h('span', { class: `pill pill-state state-${t.state}` }, stateLabel(t.state)),
        ),
        h(
          'span',
          { class: 'ticket-meta' },
          `${channelLabel(t.channel)} · ${stageLabel(t.stage)}`,
          r && r.listing ? ` · ${r.listing}` : '',
          r && r.check_in ? ` · ${fmtDate(r.check_in)} – ${fmtDate(r.check_out)}` : '',
          r && r.external_id ? ` · #${r.external_id}` : '',
          holder,
          // Only in Recently confirmed: who talked the guest into booking.
          t.replied_before_booking ? ` · Replied before booking: ${t.replied_before_booking.map((a) => a.name).join(', ') || 'nobody'}` : '',
        ),
        t.last_message
          ? h('span', { class: 'ticket-preview' }, t.last_message.direction === 'outbound' ? `Reply: ${t.last_message.body}` : t.last_message.body)
          : null,
        h(
          'span',
          { class: 'ticket-age', dataset: { since: t.awaiting_reply_since || t.created_at, waiting: waiting !== null ? '1' : '' } },
          waiting !== null ? `Waiting ${fmtDuration(waiting)}` : `Started ${fmtAgo(t.created_at)}`,
        ),
      ),
    );
  }

  // Rows are kept per ticket: a live event rebuilds only the row of the ticket it is about,
  // and the list is put in order by moving the elements it already has (200 tickets
  // streaming in once held one frame for 4 s while the whole list was rebuilt per event).
  const rowEls = new Map();
  function rowFor(t) {
    const id = String(t.id);
    const known = rowEls.get(id);
    if (known && known.t === t) return known.el;
    const el = row(t);
    rowEls.set(id, { t, el });
    return el;
  }

  function drawList() {
    const els = items.map(rowFor);
    const kept = new Set(items.map((t) => String(t.id)));
    for (const id of rowEls.keys()) if (!kept.has(id)) rowEls.delete(id);
    const current = new Set(els);
    for (const el of [...list.children]) if (!current.has(el)) el.remove();
    els.forEach((el, i) => {
      if (list.children[i] !== el) list.insertBefore(el, list.children[i] || null);
    });
    more.hidden = !nextCursor;
    if (loading && items.length === 0) listStatus.textContent = 'Loading tickets…';
    else if (items.length === 0) listStatus.textContent = EMPTY[view];
    else listStatus.textContent = `${items.length}${nextCursor ? '+' : ''} ticket${items.length === 1 ? '' : 's'}`;
  }

  function queryParams(cursor) {
    const f = readFilters();
    return {
      view,
      q: f.q,
      channel: f.channel,
      stage: f.stage,
      status: f.status,
      listing: f.listing,
      from: f.from,
      to: f.to,
      ...Object.fromEntries(crmInputs.map((el) => [el.name, f[el.name]])),
      sort: sort.value,
      cursor,
    };
  }

  /** `list` followed by the tickets of `more` it does not hold yet. */
  const appendNew = (list, more) => {
    const seen = new Set(list.map((t) => String(t.id)));
    return list.concat(more.filter((t) => !seen.has(String(t.id))));
  };

  /** Pages from `cursor`: one, or more until `atLeast` tickets or the end of the list. */
  async function fetchPages(cursor, atLeast) {
    let got = [];
    do {
      const page = await api.tickets(queryParams(cursor));
      got = appendNew(got, (page && page.items) || []);
      cursor = (page && page.next_cursor) || null;
    } while (cursor && got.length < atLeast);
    return { got, next: cursor };
  }

  /** Loads the list afresh (at least `keep` tickets when there are), or the page after `cursor`. */
  async function load(cursor = null, keep = 0) {
    const mySeq = ++fetchSeq;
    loading = true;
    if (!cursor) drawList();
    try {
      const { got, next } = await fetchPages(cursor, keep);
      if (mySeq !== fetchSeq) return;
      items = cursor ? appendNew(items, got) : got;
      nextCursor = next;
    } catch (e) {
      if (mySeq !== fetchSeq) return;
      listStatus.textContent = e.message;
      loading = false;
      return;
    }
    loading = false;
    drawList();
  }
  more.addEventListener('click', () => busy(more, () => load(nextCursor)));

  const place = placeByTab.get(view) || { shown: 0, scrollY: 0 };
  placeByTab.set(view, place);
  disposers.push(() => {
    place.shown = items.length;
    place.scrollY = window.scrollY;
  });

  // ---- live updates ----------------------------------------------------------------------
  // The server says which tabs a ticket belongs in (`ticket.views`). Whether it also matches a
  // search or filter only the server knows, so a filtered list is fetched again instead, at
  // most once per 300 ms, keeping as many tickets as "Load more" had shown.
  let refreshTimer = 0;
  function refreshSoon() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = 0;
      load(null, items.length);
    }, 300);
  }
  disposers.push(() => clearTimeout(refreshTimer));

  // Live events come in bursts: they are drawn together, once per frame (or every 100 ms
  // while the page is hidden, when frames stop).
  let drawPending = 0;
  function drawSoon() {
    if (drawPending) return;
    const draw = () => {
      drawPending = 0;
      drawList();
    };
    drawPending = document.visibilityState === 'visible' ? requestAnimationFrame(draw) : setTimeout(draw, 100);
  }
  disposers.push(() => {
    cancelAnimationFrame(drawPending);
    clearTimeout(drawPending);
  });

  // Guest views: counts and (on such a tab) the list come from the server. The counts are one
  // request (`GET /tickets/counts`), made when the inbox opens and then at most once per
  // COUNTS_EVERY ms after a frame that may change them; never two at once.
  function drawCounts(items) {
    for (const c of items) {
      const el = root.querySelector(`[data-view="${c.view}"] .tab-count`);
      if (!el) continue;
      const text = c.count ? `${c.count}${c.capped ? '+' : ''}` : '';
      el.textContent = text;
      el.dataset.count = text;
    }
  }
  let countsBusy = false;
  let countsAgain = false;
  let countsTimer = 0;
  async function drawGuestCounts() {
    if (countsBusy) {
      countsAgain = true;
      return;
    }
    countsBusy = true;
    try {
      const answer = await api.viewCounts();
      drawCounts((answer && answer.items) || []);
    } catch {
      // The counts are a hint; the next frame asks again.
    } finally {
      countsBusy = false;
    }
    if (countsAgain) {
      countsAgain = false;
      countsSoon();
    }
  }
  function countsSoon() {
    if (countsTimer) return;
    countsTimer = setTimeout(() => {
      countsTimer = 0;
      drawGuestCounts();
    }, COUNTS_EVERY);
  }
  function guestChanged() {
    if (GUEST.has(view)) refreshSoon();
    countsSoon();
  }
  disposers.push(() => clearTimeout(countsTimer));
  // The server pushes the account-wide views' counts (`views.counts`, at most once a second)
  // when reservations, to-dos or moods change; the open guest tab's list follows them.
  on(live, 'counts', (e) => {
    drawCounts(e.detail.items);
    if (e.detail.items.some((c) => c.view === view)) refreshSoon();
  });
  on(live, 'todo', guestChanged);
  on(live, 'mood', guestChanged);

  on(live, 'ticket', (e) => {
    if (GUEST.has(view)) {
      guestChanged();
      drawBadge();
      return;
    }
    guestChanged();
    const t = e.detail.ticket;
    const id = String(t.id);
    const i = items.findIndex((x) => String(x.id) === id);
    const inView = (t.views || []).includes(view);
    const insert = inView && i < 0 && !filtered();
    if (inView && i >= 0) {
      items[i] = { ...items[i], ...t };
      // A guest writing again (or being answered) changes how long they have waited and
      // their latest activity.
      if (sort.value !== 'newest') items.sort(byOrder());
    } else if (i >= 0) items.splice(i, 1);
    else if (insert) items = [...items, t].sort(byOrder());
    if (inView && filtered()) refreshSoon();
    if (i >= 0 || insert) drawSoon();
    drawBadge();
  });
  on(live, 'removed', (e) => {
    if (view !== 'all' && !GUEST.has(view)) {
      const before = items.length;
      items = items.filter((x) => String(x.id) !== e.detail.ticket_id);
      if (items.length !== before) drawSoon();
    }
    drawBadge();
  });
  // A snapshot means frames were missed, counts among them: ask for those again too.
  on(live, 'snapshot', () => {
    load();
    drawBadge();
    countsSoon();
  });
  on(live, 'work', drawWork);
  on(live, 'status', drawWork);
  on(live, 'offers', drawOffers);

  // Waiting times tick on screen.
  const tick = setInterval(() => {
    for (const el of list.querySelectorAll('.ticket-age')) {
      const since = el.dataset.since;
      el.textContent = el.dataset.waiting ? `Waiting ${fmtDuration(secondsSince(since))}` : `Started ${fmtAgo(since)}`;
    }
    if (live.offers.size) drawOffers();
  }, 15_000);
  disposers.push(() => clearInterval(tick));

  root.append(
    h('section', { class: 'inbox', 'aria-labelledby': 'inbox-title' }, h('h1', { id: 'inbox-title', class: 'visually-hidden' }, 'Inbox'), workbar, offersEl, tablist, filterForm, panel),
  );
  drawWork();
  drawBadge();
  drawOffers();
  drawGuestCounts();
  load(null, place.shown).then(() => {
    if (place.scrollY) window.scrollTo(0, place.scrollY);
  });
  if (refocusTab) {
    refocusTab = false;
    tablist.querySelector('[aria-selected="true"]').focus();
  }

  return () => disposers.forEach((d) => d());
}
