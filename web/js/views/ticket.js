// One ticket: the conversation, the reservation panel, and the reply box with templates in
// the guest's language, plus Pending (with a note for the manager) and Done. Managers also
// get Reassign. New messages and state changes arrive live.
//
// Internal notes (the team's, never sent to the guest) sit in the conversation in time order,
// drawn apart from messages (centred, dashed, "Internal note"), with their own form below the
// reply box; `@First` or `@"First Last"` mentions a teammate.
//
// Who else is on the ticket ("Ana is viewing", "Ana is replying…") comes live from the
// server: this tab says which ticket it shows and whether the user is writing (socket.js
// repeats it), and the server sends the others' list whenever it changes.

import { assignTicket } from '../assign.js';
import { h, replace } from '../dom.js';
import { field, busy, formMessage } from '../forms.js';
import { stageLabel, stateLabel, channelLabel, awaitsReply, holderLabel, activityLabel, reasonLabel } from '../labels.js';
import { fmtDate, fmtDateTime, fmtMoney, fmtAgo } from '../format.js';

const PAYMENT = { paid: 'Paid', partially_paid: 'Partially paid', unpaid: 'Unpaid', refunded: 'Refunded', pending: 'Payment pending' };
const RES_STATUS = { inquiry: 'Inquiry', request: 'Request', confirmed: 'Confirmed', cancelled: 'Cancelled' };

function nights(r) {
  if (!r || !r.check_in || !r.check_out) return null;
  const n = Math.round((Date.parse(r.check_out) - Date.parse(r.check_in)) / 86_400_000);
  return Number.isFinite(n) && n > 0 ? n : null;
}

export async function render(ctx) {
  const { root, api, live, session, params, notify, navigate } = ctx;
  const ticketId = String(params[0] || '');
  const me = String(session.user.id);
  const isManager = session.user.role === 'manager';
  const disposers = [];
  const on = (target, type, fn) => {
    target.addEventListener(type, fn);
    disposers.push(() => target.removeEventListener(type, fn));
  };

  const section = h('section', { class: 'ticket-view', 'aria-labelledby': 'ticket-title' });
  root.append(section);
  replace(section, h('p', { class: 'loading' }, 'Loading the conversation…'));

  let ticket;
  try {
    ticket = await api.ticket(ticketId);
  } catch (e) {
    replace(section, h('h1', { id: 'ticket-title' }, 'Ticket not available'), h('p', { class: 'error' }, e.message), h('p', {}, h('a', { href: '#/inbox' }, 'Back to the inbox')));
    return;
  }
  let messages = ticket.messages || [];
  let notes = ticket.notes || [];
  let templates = [];
  live.seeMentions(ticketId);
  live.seeMessages(ticketId);
  let agents = [];
  // The activity log (drawn with the reservation panel) and why the ticket went to its agent.
  let activity = [];
  const activityEl = h('ol', { class: 'activity', id: 'ticket-activity', 'aria-label': 'Activity' });
  const assignedWhy = () => {
    const last = [...activity].reverse().find((e) => e.kind === 'ticket.assigned');
    return last && ticket.assignee_id && String(last.agent_id) === String(ticket.assignee_id) ? reasonLabel(last.reason) : '';
  };

  // Looking at an assigned ticket opens it (the dispatcher will no longer move it).
  if (ticket.state === 'assigned' && String(ticket.assignee_id) === me) {
    api
      .openTicket(ticketId)
      .then((t) => {
        if (t && t.id) {
          live.upsert(t);
          Object.assign(ticket, t);
          drawHeader();
          drawReservation();
        }
      })
      .catch((e) => notify(e.message, 'error'));
  }

  // ---- header ----------------------------------------------------------------------------
  const headerEl = h('header', { class: 'ticket-header' });
  const movedBanner = h('p', { class: 'banner', role: 'status', hidden: true });
  // The collision notice: the other people on this ticket, never the user themselves.
  const viewersEl = h('p', { class: 'viewers', id: 'ticket-viewers', role: 'status', 'aria-live': 'polite', hidden: true });
  function drawViewers(viewers) {
    const people = viewers.filter((v) => String(v.user_id) !== me);
    viewersEl.hidden = people.length === 0;
    replace(
      viewersEl,
      people.map((v, i) => [
        i ? ' · ' : null,
        h('span', { class: `viewer${v.typing ? ' is-typing' : ''}`, dataset: { userId: String(v.user_id) } }, h('span', { class: 'dot', 'aria-hidden': 'true' }), ' ', v.typing ? `${v.name} is replying…` : `${v.name} is viewing`),
      ]),
    );
  }
  function drawHeader() {
    const g = ticket.guest || {};
    replace(
      headerEl,
      h('p', { class: 'back' }, h('a', { href: '#/inbox' }, '← Inbox')),
      h('h1', { id: 'ticket-title' }, g.name || 'Guest'),
      h(
        'p',
        { class: 'ticket-pills' },
        h('span', { class: `pill pill-state state-${ticket.state}`, id: 'ticket-state' }, stateLabel(ticket.state)),
        awaitsReply(ticket) ? h('span', { class: 'pill pill-alert' }, 'Unanswered') : ticket.unanswered ? null : h('span', { class: 'pill' }, 'Answered'),
        h('span', { class: 'pill' }, channelLabel(ticket.channel)),
        h('span', { class: 'pill' }, stageLabel(ticket.stage)),
        g.language ? h('span', { class: 'pill', title: 'Guest language' }, g.language.toUpperCase()) : null,
      ),
      h('p', { class: 'ticket-holder', id: 'ticket-holder' }, holderLabel(ticket, me), assignedWhy() ? ` · ${assignedWhy()}` : ''),
      viewersEl,
    );
    drawAccess();
    drawNote();
  }

  // The reply box says what is true: a ticket is answered by whoever has it (or a manager);
  // anyone else reads it, and claims it when it is on offer to them.
  const accessEl = h('div', { class: 'banner access', role: 'status', hidden: true });
  function drawAccess() {
    const mine = String(ticket.assignee_id) === me;
    const closed = ticket.state === 'done';
    const canAct = !closed && (isManager || (mine && ticket.state !== 'queued'));
    for (const el of [replyText, templateSelect, replyBtn, doneBtn]) el.disabled = !canAct;
    pendingBtn.disabled = !canAct || ticket.state === 'pending';
    const offered = live.offers && live.offers.has(ticketId);
    let why = null;
    if (closed) why = 'This ticket is done.';
    else if (!canAct && !ticket.assignee_id) why = offered ? 'This ticket is on offer to you: claim it to reply.' : 'This ticket waits in the queue; the dispatcher or a manager gives it to an agent. You can read it.';
    else if (!canAct) why = `${ticket.assignee_name || 'Another agent'} has this ticket. You can read it; only they or a manager can reply.`;
    accessEl.hidden = !why;
    const claim = offered && !canAct && !closed ? h('button', { type: 'button', class: 'btn btn-primary', onclick: (ev) => claimTicket(ev.currentTarget) }, 'Claim') : null;
    replace(accessEl, why || '', claim ? ' ' : null, claim);
  }
  function claimTicket(button) {
    busy(button, async () => {
      try {
        const t = await api.claim(ticketId);
        if (t && t.id) {
          live.upsert(t);
          Object.assign(ticket, t);
        }
        drawHeader();
        drawReservation();
      } catch (e) {
        notify(e.message, 'error');
        live.offers.delete(ticketId);
        drawAccess();
      }
    });
  }

  // ---- conversation ----------------------------------------------------------------------
  const list = h('ol', { class: 'messages', 'aria-label': 'Messages', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  function messageEl(m) {
    const outbound = m.direction === 'outbound';
    const author = outbound ? (m.author_id && String(m.author_id) === me ? 'You' : 'Agent') : (ticket.guest && ticket.guest.name) || 'Guest';
    return h(
      'li',
      { class: `message ${outbound ? 'outbound' : 'inbound'}`, dataset: { messageId: String(m.id) } },
      h('p', { class: 'message-meta' }, h('span', { class: 'author' }, author), ' · ', h('time', { datetime: m.sent_at, title: fmtDateTime(m.sent_at) }, fmtDateTime(m.sent_at))),
      h('p', { class: 'message-body' }, m.body),
      outbound && m.delivery ? deliveryEl(m) : null,
    );
  }
  // A note's body with its @mentions emphasised (text only: never parsed as HTML).
  function noteBody(body) {
    const parts = String(body || '').split(/((?:^|(?<=[^\p{L}\p{N}]))@(?:"[^"\n]+"|[\p{L}\p{N}](?:[\p{L}\p{N}_.'-]*[\p{L}\p{N}_])?))/u);
    return parts.map((p, i) => (i % 2 ? h('span', { class: 'mention' }, p) : p));
  }
  function noteEl(n) {
    const author = n.author_id && String(n.author_id) === me ? 'You' : n.author_name || 'Teammate';
    return h(
      'li',
      { class: 'message note', dataset: { noteId: String(n.id) }, 'aria-label': 'Internal note' },
      h('p', { class: 'message-meta' }, h('span', { class: 'author' }, 'Internal note'), ' · ', author, ' · ', h('time', { datetime: n.created_at, title: fmtDateTime(n.created_at) }, fmtDateTime(n.created_at))),
      h('p', { class: 'message-body' }, noteBody(n.body)),
    );
  }
  // A reply's way to the guest: ✓ sent to the channel, ✓✓ delivered; a failed one says why
  // and can be sent again.
  const DELIVERY = { queued: ['🕓', 'Queued'], sent: ['✓', 'Sent'], delivered: ['✓✓', 'Delivered'], failed: ['⚠', 'Not delivered'] };
  function deliveryEl(m) {
    const d = m.delivery;
    const [tick, label] = DELIVERY[d.status] || ['', d.status];
    const retry =
      d.status === 'failed'
        ? h('button', { type: 'button', class: 'btn btn-quiet btn-small', onclick: (ev) => retryDelivery(m, ev.currentTarget) }, 'Retry')
        : null;
    return h(
      'p',
      { class: `delivery delivery-${d.status}`, dataset: { delivery: d.status } },
      h('span', { class: 'tick', 'aria-hidden': 'true' }, tick),
      ' ',
      h('span', { class: 'delivery-label' }, label),
      d.status === 'failed' && d.last_error ? h('span', { class: 'delivery-error' }, `: ${d.last_error}`) : null,
      retry ? ' ' : null,
      retry,
    );
  }
  function retryDelivery(m, button) {
    busy(button, async () => {
      try {
        updateMessage(await api.retryMessage(m.id));
      } catch (e) {
        notify(e.message, 'error');
      }
    });
  }
  // The newest delivery state heard live per reply: a conversation fetched while the frame
  // was on its way must not put an older state back.
  const heard = new Map();
  function freshest(m) {
    const live = heard.get(String(m.id));
    return live && (!m.delivery || live.attempts >= m.delivery.attempts) ? { ...m, delivery: live } : m;
  }
  function updateMessage(m) {
    if (!m || m.id == null) return;
    // An answer can arrive after a frame about a later attempt (a retried reply is often
    // sent before the retry's own answer is back): the later attempt wins.
    const known = heard.get(String(m.id));
    if (m.delivery && known && known.attempts > m.delivery.attempts) m = { ...m, delivery: known };
    if (m.delivery) heard.set(String(m.id), m.delivery);
    if (!messages.some((x) => String(x.id) === String(m.id))) return addMessage(m);
    messages = messages.map((x) => (String(x.id) === String(m.id) ? { ...x, ...m } : x));
    const el = list.querySelector(`[data-message-id="${CSS.escape(String(m.id))}"]`);
    if (el) el.replaceWith(messageEl(messages.find((x) => String(x.id) === String(m.id))));
  }
  function drawMessages() {
    const items = [
      ...messages.map((m) => ({ at: Date.parse(m.sent_at), id: Number(m.id), el: () => messageEl(freshest(m)) })),
      ...notes.map((n) => ({ at: Date.parse(n.created_at), id: Number(n.id), el: () => noteEl(n) })),
    ];
    // Times, not strings: the server writes as many fraction digits as a time has.
    const sorted = items.sort((a, b) => a.at - b.at || a.id - b.id);
    replace(list, sorted.length ? sorted.map((x) => x.el()) : h('li', { class: 'muted' }, 'No messages yet.'));
    list.lastElementChild && list.lastElementChild.scrollIntoView({ block: 'nearest' });
  }
  function addNote(n) {
    if (!n || n.id == null || notes.some((x) => String(x.id) === String(n.id))) return;
    notes = [...notes, n];
    drawMessages();
  }
  function addMessage(m) {
    if (!m || m.id == null || messages.some((x) => String(x.id) === String(m.id))) return;
    messages = [...messages, m];
    drawMessages();
  }
  async function refreshMessages() {
    try {
      const fresh = await api.ticket(ticketId);
      messages = fresh.messages || messages;
      notes = fresh.notes || notes;
      Object.assign(ticket, fresh);
      drawMessages();
      drawHeader();
      drawReservation();
    } catch {
      /* the live events will catch up */
    }
  }

  // ---- reply box -------------------------------------------------------------------------
  const replyText = h('textarea', { name: 'body', rows: '5', required: true, placeholder: 'Write your reply…' });
  const templateSelect = h('select', { name: 'template', id: 'template-picker' }, h('option', { value: '' }, 'Loading templates…'));
  const replyBtn = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Send reply');
  const pendingBtn = h('button', { type: 'button', class: 'btn' }, 'Pending…');
  const doneBtn = h('button', { type: 'button', class: 'btn btn-success' }, 'Done');
  const replyMsg = formMessage();
  const replyForm = h(
    'form',
    { class: 'reply-form', 'aria-label': 'Reply to the guest' },
    field('Insert a template', templateSelect, 'Templates in the guest’s language, with their details filled in.'),
    field('Reply', replyText),
    replyMsg.el,
    h('div', { class: 'button-row' }, replyBtn, pendingBtn, doneBtn),
  );

  function drawTemplates() {
    const lang = ((ticket.guest && ticket.guest.language) || '').toLowerCase();
    const inLang = templates.filter((t) => (t.variants || []).some((v) => v.language === lang));
    const others = templates.filter((t) => !inLang.includes(t));
    const option = (t) => h('option', { value: String(t.id) }, t.name);
    replace(
      templateSelect,
      h('option', { value: '' }, templates.length ? 'Choose a template…' : 'No templates yet'),
      inLang.length ? h('optgroup', { label: `In ${lang.toUpperCase()}` }, inLang.map(option)) : null,
      others.length ? h('optgroup', { label: lang ? 'Other languages' : 'Templates' }, others.map(option)) : null,
    );
  }

  // The server picks the variant for the guest's language and fills in every placeholder
  // from this ticket and the signed-in agent; nothing is rendered here.
  templateSelect.addEventListener('change', async () => {
    const t = templates.find((x) => String(x.id) === templateSelect.value);
    templateSelect.value = '';
    if (!t) return;
    replyMsg.clear();
    let text;
    try {
      text = (await api.previewTemplate(t.id, ticketId)).body;
    } catch (e) {
      replyMsg.error(`The template “${t.name}” could not be filled in: ${e.message}`);
      return;
    }
    replyText.value = replyText.value.trim() ? `${replyText.value.trimEnd()}\n\n${text}` : text;
    replyText.focus();
  });

  replyForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = replyText.value.trim();
    if (!body) {
      replyMsg.error('Write a reply first.');
      replyText.focus();
      return;
    }
    replyMsg.clear();
    busy(replyBtn, async () => {
      try {
        const t = await api.reply(ticketId, body);
        replyText.value = '';
        if (t && t.id) {
          Object.assign(ticket, t);
          live.upsert(t);
        }
        replyMsg.ok('Reply sent.');
        await refreshMessages();
      } catch (e) {
        replyMsg.error(e.message);
      }
    });
  });

  doneBtn.addEventListener('click', () =>
    busy(doneBtn, async () => {
      try {
        const t = await api.done(ticketId);
        if (t && t.id) live.upsert(t);
        notify(`Ticket with ${(ticket.guest && ticket.guest.name) || 'the guest'} is done.`);
        navigate('#/inbox');
      } catch (e) {
        replyMsg.error(e.message);
      }
    }),
  );

  // Internal notes: for the team only.
  const internalText = h('textarea', { name: 'note', rows: '3', required: true, placeholder: 'Only your team sees this…' });
  const internalBtn = h('button', { type: 'submit', class: 'btn' }, 'Add internal note');
  const internalMsg = formMessage();
  const internalForm = h(
    'form',
    { class: 'note-form', 'aria-label': 'Add an internal note' },
    field('Internal note', internalText, 'Never sent to the guest. Mention a teammate with @First or @"First Last".'),
    internalMsg.el,
    h('div', { class: 'button-row' }, internalBtn),
  );
  internalForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = internalText.value.trim();
    if (!body) {
      internalMsg.error('Write the note first.');
      internalText.focus();
      return;
    }
    internalMsg.clear();
    busy(internalBtn, async () => {
      try {
        addNote(await api.addNote(ticketId, body));
        internalText.value = '';
        internalMsg.ok('Note added.');
      } catch (e) {
        internalMsg.error(e.message);
      }
    });
  });

  // Pending asks for a note for the manager, in a modal dialog.
  const noteText = h('textarea', { name: 'note', rows: '4', required: true });
  const noteMsg = formMessage();
  const dialog = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': 'pending-title' },
    h(
      'form',
      { method: 'dialog', class: 'stack' },
      h('h2', { id: 'pending-title' }, 'Mark as pending'),
      h('p', {}, 'Tell the manager what this ticket needs.'),
      field('Note for the manager', noteText),
      noteMsg.el,
      h('div', { class: 'button-row' }, h('button', { type: 'submit', class: 'btn btn-primary', value: 'save' }, 'Mark pending'), h('button', { type: 'button', class: 'btn btn-quiet', onclick: () => dialog.close() }, 'Cancel')),
    ),
  );
  dialog.querySelector('form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const note = noteText.value.trim();
    if (!note) {
      noteMsg.error('A note is required.');
      noteText.focus();
      return;
    }
    try {
      const t = await api.pending(ticketId, note);
      if (t && t.id) {
        Object.assign(ticket, t);
        live.upsert(t);
      }
      ticket.pending_note = note;
      dialog.close();
      drawHeader();
      notify('Ticket marked pending.');
    } catch (e) {
      noteMsg.error(e.message);
    }
  });
  pendingBtn.addEventListener('click', () => {
    noteMsg.clear();
    noteText.value = '';
    dialog.showModal();
    noteText.focus();
  });

  const pendingNoteEl = h('p', { class: 'pending-note', hidden: true });
  function drawNote() {
    const note = ticket.pending_note && (ticket.pending_note.note || ticket.pending_note.body || ticket.pending_note);
    pendingNoteEl.hidden = !(ticket.state === 'pending' && note);
    replace(pendingNoteEl, h('strong', {}, 'Pending note: '), typeof note === 'string' ? note : '');
  }

  // ---- activity log ----------------------------------------------------------------------
  // Who did what and when, from the server's event log; fetched again after live changes.
  function drawActivity() {
    replace(
      activityEl,
      activity.map((e) => h('li', {}, h('time', { datetime: e.at }, fmtDateTime(e.at)), ' ', activityLabel(e))),
    );
  }
  let activityTimer = 0;
  function loadActivity() {
    clearTimeout(activityTimer);
    activityTimer = setTimeout(async () => {
      try {
        activity = (await api.ticketActivity(ticketId)).items || [];
        drawActivity();
        drawHeader();
      } catch {
        /* the log is a courtesy: the ticket itself is shown either way */
      }
    }, 150);
  }
  disposers.push(() => clearTimeout(activityTimer));

  // ---- reservation panel -----------------------------------------------------------------
  const aside = h('aside', { class: 'reservation-panel', 'aria-labelledby': 'reservation-title' });
  function drawReservation() {
    drawMood();
    drawFollowUp();
    drawOverbooking();
    loadCalendar();
    const r = ticket.reservation;
    const row = (k, v) => [h('dt', {}, k), h('dd', {}, v ?? '—')];
    const n = nights(r);
    replace(
      aside,
      h('h2', { id: 'reservation-title' }, 'Reservation'),
      r
        ? h(
            'dl',
            { class: 'facts' },
            row('Listing', r.listing || '—'),
            row('Channel', channelLabel(ticket.channel)),
            row('Reservation', r.external_id ? `#${r.external_id}` : '—'),
            row('Status', RES_STATUS[r.status] || r.status),
            row('Check-in', fmtDate(r.check_in)),
            row('Check-out', fmtDate(r.check_out)),
            n ? row('Nights', String(n)) : null,
            row('Total', fmtMoney(r.total_price, r.currency)),
            row('Payment', r.payment_status ? PAYMENT[r.payment_status] || r.payment_status : '—'),
          )
        : h('p', { class: 'muted' }, `No reservation yet (${channelLabel(ticket.channel)} inquiry).`),
      h('h2', {}, 'Ticket'),
      h(
        'dl',
        { class: 'facts' },
        row('Created', fmtDateTime(ticket.created_at)),
        row('First response', ticket.first_response_at ? fmtDateTime(ticket.first_response_at) : '—'),
        row('Waiting since', awaitsReply(ticket) && ticket.awaiting_reply_since ? fmtAgo(ticket.awaiting_reply_since) : '—'),
      ),
      moodEl,
      followEl,
      todosEl,
      h('h2', {}, 'Activity'),
      activityEl,
      isManager ? reassignForm : null,
    );
  }

  // ---- mood and to-dos (issue 14) ------------------------------------------------------------
  // The mood is the guest's "fun level", 1–5; the latest set (here, or by the bridge) wins.
  const MOODS = ['1 Furious', '2 Upset', '3 So-so', '4 Fine', '5 Delighted'];
  const moodSelect = h('select', { name: 'mood', id: 'ticket-mood' }, h('option', { value: '' }, 'Not set'), MOODS.map((m, i) => h('option', { value: String(i + 1) }, m)));
  const moodMsg = formMessage();
  const moodEl = h('div', { class: 'mood-picker' }, field('Guest mood', moodSelect), moodMsg.el);
  const drawMood = () => {
    moodSelect.value = ticket.mood ? String(ticket.mood) : '';
  };
  moodSelect.addEventListener('change', async () => {
    if (!moodSelect.value) return drawMood();
    try {
      await api.setMood(ticketId, Number(moodSelect.value));
      ticket.mood = Number(moodSelect.value);
      moodMsg.ok('Mood saved.');
    } catch (e) {
      moodMsg.error(e.message);
      drawMood();
    }
  });

  // To-dos: add, tick done, delete; an open one past its due time is marked overdue.
  const TODO_KINDS = [
    { value: 'task', label: 'Task' },
    { value: 'refund', label: 'Refund' },
    { value: 'follow_up', label: 'Follow-up' },
  ];
  let todos = [];
  const todoList = h('ul', { class: 'todo-list', 'aria-label': 'To-dos' });
  const todoTitle = h('input', { type: 'text', name: 'title', maxlength: '200', required: true, placeholder: 'What needs doing?' });
  const todoKind = h('select', { name: 'kind' }, TODO_KINDS.map((k) => h('option', { value: k.value }, k.label)));
  const todoDue = h('input', { type: 'datetime-local', name: 'due_at' });
  const todoBtn = h('button', { type: 'submit', class: 'btn' }, 'Add to-do');
  const todoMsg = formMessage();
  const todoForm = h('form', { class: 'todo-form', 'aria-label': 'Add a to-do' }, field('To-do', todoTitle), field('Kind', todoKind), field('Due', todoDue), todoMsg.el, todoBtn);
  const todosEl = h('section', { class: 'todos', 'aria-labelledby': 'todos-title' }, h('h2', { id: 'todos-title' }, 'To-dos'), todoList, todoForm);
  const kindLabel = (k) => (TODO_KINDS.find((x) => x.value === k) || { label: k }).label;
  function drawTodos() {
    const now = Date.now();
    replace(
      todoList,
      todos.length === 0
        ? h('li', { class: 'muted' }, 'No to-dos yet.')
        : todos.map((t) => {
            const overdue = !t.done && t.due_at && Date.parse(t.due_at) < now;
            const box = h('input', { type: 'checkbox', checked: !!t.done, 'aria-label': `Done: ${t.title}` });
            box.addEventListener('change', async () => {
              try {
                upsertTodo(await api.updateTodo(ticketId, t.id, { done: box.checked }));
              } catch (e) {
                todoMsg.error(e.message);
                box.checked = !!t.done;
              }
            });
            const remove = h('button', { type: 'button', class: 'btn btn-quiet', 'aria-label': `Delete to-do: ${t.title}` }, 'Delete');
            remove.addEventListener('click', async () => {
              try {
                await api.deleteTodo(ticketId, t.id);
                todos = todos.filter((x) => String(x.id) !== String(t.id));
                drawTodos();
              } catch (e) {
                todoMsg.error(e.message);
              }
            });
            return h(
              'li',
              { class: `todo${t.done ? ' is-done' : ''}${overdue ? ' is-overdue' : ''}`, dataset: { todoId: String(t.id), kind: t.kind } },
              h('label', { class: 'check' }, box, ' ', h('span', { class: 'todo-title' }, t.title)),
              h('span', { class: `pill todo-kind kind-${t.kind}` }, kindLabel(t.kind)),
              t.due_at ? h('span', { class: 'todo-due' }, `${overdue ? 'Overdue · ' : 'Due '}${fmtDateTime(t.due_at)}`) : null,
              remove,
            );
          }),
    );
  }
  function upsertTodo(t) {
    if (!t || t.id == null) return;
    const i = todos.findIndex((x) => String(x.id) === String(t.id));
    if (i >= 0) todos[i] = t;
    else todos = [...todos, t];
    drawTodos();
  }
  todoForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const title = todoTitle.value.trim();
    if (!title) {
      todoMsg.error('Write the to-do first.');
      todoTitle.focus();
      return;
    }
    todoMsg.clear();
    busy(todoBtn, async () => {
      try {
        const body = { title, kind: todoKind.value };
        if (todoDue.value) body.due_at = new Date(todoDue.value).toISOString();
        upsertTodo(await api.addTodo(ticketId, body));
        todoTitle.value = '';
        todoDue.value = '';
        todoMsg.ok('To-do added.');
      } catch (e) {
        todoMsg.error(e.message);
      }
    });
  });
  api
    .todos(ticketId)
    .then((page) => {
      todos = (page && page.items) || [];
      drawTodos();
    })
    .catch(() => drawTodos());
  drawMood();
  drawTodos();

  // Follow-up: park the ticket until a time with a note; it leaves the working tabs and comes
  // back then (or when the guest writes again) with reason `follow_up`.
  const followAt = h('input', { type: 'datetime-local', name: 'follow_up_at', step: '1', required: true });
  const followNote = h('input', { type: 'text', name: 'follow_up_note', maxlength: '2000', placeholder: 'What to do then' });
  const followBtn = h('button', { type: 'submit', class: 'btn' }, 'Set follow-up');
  const followMsg = formMessage();
  const followState = h('p', { class: 'follow-up-state', role: 'status' });
  const followForm = h('form', { class: 'follow-up-form', 'aria-label': 'Follow up later' }, field('Follow up at', followAt), field('Follow-up note', followNote), followMsg.el, followBtn);
  const followEl = h('section', { class: 'follow-up', 'aria-labelledby': 'follow-up-title' }, h('h2', { id: 'follow-up-title' }, 'Follow-up'), followState, followForm);
  function drawFollowUp() {
    const at = ticket.follow_up_at;
    followState.hidden = !at;
    followState.textContent = at ? `Parked until ${fmtDateTime(at)}${ticket.follow_up_note ? ` · ${ticket.follow_up_note}` : ''}` : '';
    followForm.hidden = ticket.state === 'done';
  }
  followForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!followAt.value) {
      followMsg.error('Choose when to follow up.');
      followAt.focus();
      return;
    }
    followMsg.clear();
    busy(followBtn, async () => {
      try {
        const t = await api.setFollowUp(ticketId, new Date(followAt.value).toISOString(), followNote.value.trim());
        Object.assign(ticket, t);
        followAt.value = '';
        followNote.value = '';
        followMsg.ok('Follow-up set: the ticket comes back then.');
        drawFollowUp();
      } catch (e) {
        followMsg.error(e.message);
      }
    });
  });

  // ---- overbooking and the mini calendar (issue 14) ----------------------------------------
  // Beside the reservation panel, below it (not inside: their dates and references would
  // repeat the panel's own facts there). The listing's stays from two weeks before this stay to two weeks after, each drawn as a
  // bar on one shared time line; this stay is outlined and stays that share a night are red.
  const overbookingEl = h('p', { class: 'overbooking-flag', role: 'note', hidden: true });
  const calendarList = h('ol', { class: 'calendar-stays', 'aria-label': 'Stays of this listing' });
  const calendarCaption = h('p', { class: 'muted calendar-range' });
  const calendarEl = h('section', { class: 'mini-calendar', 'aria-labelledby': 'calendar-title', hidden: true }, h('h2', { id: 'calendar-title' }, 'Calendar'), calendarCaption, calendarList);
  const DAY = 86_400_000;
  const addDays = (ymd, n) => new Date(Date.parse(`${ymd}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
  function drawOverbooking() {
    const overlaps = ticket.overlaps || [];
    overbookingEl.hidden = overlaps.length === 0;
    replace(
      overbookingEl,
      h('strong', {}, 'Overbooked: '),
      overlaps.map((o, i) => `${i ? '; ' : ''}#${o.external_id}${o.guest_name ? ` (${o.guest_name})` : ''} ${fmtDate(o.check_in)} – ${fmtDate(o.check_out)}`).join(''),
    );
  }
  let calendarFor = '';
  async function loadCalendar() {
    const r = ticket.reservation;
    if (!r || !r.listing_id || !r.check_in || !r.check_out) {
      calendarEl.hidden = true;
      return;
    }
    const from = addDays(r.check_in, -14);
    const to = addDays(r.check_out, 14);
    const key = `${r.listing_id}/${from}/${to}`;
    if (key === calendarFor) return;
    calendarFor = key;
    try {
      drawCalendar(await api.listingCalendar(r.listing_id, from, to), r);
    } catch {
      calendarFor = '';
      calendarEl.hidden = true;
    }
  }
  function drawCalendar(cal, r) {
    const start = Date.parse(`${cal.from}T00:00:00Z`);
    const span = Date.parse(`${cal.to}T00:00:00Z`) - start;
    const pct = (ymd) => Math.min(100, Math.max(0, ((Date.parse(`${ymd}T00:00:00Z`) - start) / span) * 100));
    // The listing's name is in the facts above; the caption says only the weeks shown.
    calendarCaption.textContent = `${fmtDate(cal.from)} – ${fmtDate(addDays(cal.to, -1))}`;
    replace(
      calendarList,
      cal.items.length === 0
        ? h('li', { class: 'muted' }, 'No stays in these weeks.')
        : cal.items.map((s) => {
            const mine = String(s.reservation_id) === String(r.id);
            const left = pct(s.check_in);
            const bar = h('span', { class: 'stay-bar', 'aria-hidden': 'true' });
            bar.style.left = `${left}%`;
            bar.style.width = `${Math.max(1, pct(s.check_out) - left)}%`;
            return h(
              'li',
              { class: `stay${mine ? ' is-this' : ''}${s.overlaps ? ' is-overlap' : ''}`, dataset: { reservation: String(s.reservation_id) } },
              h('span', { class: 'stay-text' }, `${fmtDate(s.check_in)} – ${fmtDate(s.check_out)} · ${s.guest_name || 'Guest'} · #${s.external_id}${mine ? ' (this stay)' : ''}${s.overlaps ? ' · overlaps' : ''}`),
              h('span', { class: 'stay-track' }, bar),
            );
          }),
    );
    calendarEl.hidden = false;
  }

  // ---- guest panel (issue 14) -------------------------------------------------------------
  // The guest across channels (records sharing an e-mail or phone), their other tickets and
  // stays, languages and latest review; fetched once with the ticket.
  const guestEl = h('section', { class: 'guest-panel', 'aria-labelledby': 'guest-panel-title', hidden: true });
  async function loadGuestPanel() {
    if (!ticket.guest || !ticket.guest.id) return;
    let p;
    try {
      p = await api.guestPanel(ticket.guest.id);
    } catch {
      return;
    }
    const row = (k, v) => (v ? [h('dt', {}, k), h('dd', {}, v)] : null);
    const contacts = [p.guest, ...p.matched];
    const otherTickets = p.tickets.filter((t) => String(t.id) !== ticketId);
    const r = ticket.reservation;
    const otherStays = p.stays.filter((s) => !r || String(s.reservation_id) !== String(r.id));
    replace(
      guestEl,
      h('h2', { id: 'guest-panel-title' }, 'Guest'),
      h(
        'dl',
        { class: 'facts' },
        row('E-mail', [...new Set(contacts.map((g) => g.email).filter(Boolean))].join(', ')),
        row('Phone', [...new Set(contacts.map((g) => g.phone).filter(Boolean))].join(', ')),
        row('Languages', p.languages.map((l) => l.toUpperCase()).join(', ')),
        row('Channels', [...new Set(contacts.map((g) => channelLabel(g.channel)))].join(', ')),
        row('Latest review', p.latest_review ? `${p.latest_review.overall}/5 · ${fmtDate(p.latest_review.submitted_at.slice(0, 10))}` : ''),
      ),
      h('h3', {}, 'Other conversations'),
      otherTickets.length
        ? h('ul', { class: 'guest-tickets' }, otherTickets.map((t) => h('li', {}, h('a', { href: `#/tickets/${t.id}` }, `${fmtDate(t.created_at.slice(0, 10))} · ${channelLabel(t.channel)} · ${stateLabel(t.state)}`))))
        : h('p', { class: 'muted' }, 'None.'),
      h('h3', {}, 'Other stays'),
      otherStays.length
        ? h('ul', { class: 'guest-stays' }, otherStays.map((s) => h('li', {}, `${s.listing} · ${s.check_in ? `${fmtDate(s.check_in)} – ${fmtDate(s.check_out)}` : 'no dates'} · ${RES_STATUS[s.status] || s.status}`)))
        : h('p', { class: 'muted' }, 'None.'),
    );
    guestEl.hidden = false;
  }
  loadGuestPanel();

  // Managers: reassign to another agent.
  const agentSelect = h('select', { name: 'agent' }, h('option', { value: '' }, 'Choose an agent…'));
  const reassignBtn = h('button', { type: 'submit', class: 'btn' }, 'Reassign');
  const reassignMsg = formMessage();
  const reassignForm = h('form', { class: 'reassign-form', 'aria-label': 'Reassign the ticket' }, field('Reassign to', agentSelect), reassignBtn, reassignMsg.el);
  reassignForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!agentSelect.value) return reassignMsg.error('Choose an agent.');
    busy(reassignBtn, async () => {
      try {
        const a = agents.find((x) => String(x.id) === agentSelect.value);
        const done = await assignTicket(ticketId, agentSelect.value, a ? a.name : 'the agent');
        if (!done) return;
        Object.assign(ticket, done.ticket);
        reassignMsg.ok(done.said);
        drawHeader();
      } catch (e) {
        reassignMsg.error(e.message);
      }
    });
  });

  // ---- live ------------------------------------------------------------------------------
  on(live, 'message', (e) => {
    if (e.detail.ticket_id !== ticketId) return;
    live.seeMessages(ticketId);
    addMessage(e.detail.message);
  });
  on(live, 'note', (e) => {
    if (e.detail.ticket_id !== ticketId) return;
    addNote(e.detail.note);
    live.seeMentions(ticketId);
  });
  on(live, 'todo', (e) => {
    if (e.detail.ticket_id !== ticketId) return;
    if (e.detail.deleted) {
      todos = todos.filter((x) => String(x.id) !== e.detail.deleted);
      drawTodos();
    } else upsertTodo(e.detail.todo);
  });
  on(live, 'mood', (e) => {
    if (e.detail.ticket_id !== ticketId) return;
    ticket.mood = e.detail.mood;
    drawMood();
  });
  on(live, 'message-updated', (e) => {
    if (e.detail.ticket_id === ticketId) updateMessage(e.detail.message);
  });
  on(live, 'ticket', (e) => {
    if (String(e.detail.ticket.id) !== ticketId) return;
    Object.assign(ticket, e.detail.ticket);
    movedBanner.hidden = true;
    drawHeader();
    drawReservation();
    loadActivity();
  });
  on(live, 'removed', (e) => {
    if (e.detail.ticket_id !== ticketId || isManager) return;
    movedBanner.hidden = false;
    movedBanner.textContent = 'This ticket was moved to another agent.';
    replyBtn.disabled = doneBtn.disabled = pendingBtn.disabled = true;
  });
  on(live, 'snapshot', refreshMessages);
  on(live, 'offers', drawAccess);
  on(live, 'viewers', (e) => {
    if (e.detail.ticket_id === ticketId) drawViewers(e.detail.viewers);
  });

  // Writing a reply or a note shows the others "replying…" until four quiet seconds pass
  // or it is sent.
  let typingTimer = 0;
  const stopTyping = () => {
    clearTimeout(typingTimer);
    live.setViewing(ticketId, false);
  };
  for (const el of [replyText, internalText]) {
    el.addEventListener('input', () => {
      clearTimeout(typingTimer);
      live.setViewing(ticketId, el.value.trim() !== '');
      typingTimer = setTimeout(stopTyping, 4000);
    });
  }
  replyForm.addEventListener('submit', stopTyping);
  internalForm.addEventListener('submit', stopTyping);
  live.setViewing(ticketId, false);
  disposers.push(() => {
    clearTimeout(typingTimer);
    if (live.viewing && live.viewing.ticket_id === ticketId) live.setViewing(null);
  });

  replace(
    section,
    headerEl,
    movedBanner,
    h('div', { class: 'ticket-columns' }, h('section', { class: 'conversation', 'aria-label': 'Conversation' }, list, pendingNoteEl, accessEl, replyForm, internalForm), h('div', { class: 'ticket-side' }, aside, overbookingEl, calendarEl, guestEl)),
    dialog,
  );
  drawHeader();
  drawMessages();
  drawReservation();
  loadActivity();

  api
    .templates()
    .then((page) => {
      templates = (page && page.items) || [];
      drawTemplates();
    })
    .catch(() => {
      templates = [];
      drawTemplates();
    });
  if (isManager) {
    api
      .agents()
      .then((page) => {
        agents = ((page && page.items) || []).filter((a) => a.active);
        replace(agentSelect, h('option', { value: '' }, 'Choose an agent…'), agents.map((a) => h('option', { value: String(a.id), selected: String(a.id) === String(ticket.assignee_id) }, `${a.name}${a.state && a.state.working ? '' : ' (not working)'}`)));
      })
      .catch(() => {});
  }

  return () => {
    disposers.forEach((d) => d());
    if (dialog.open) dialog.close();
  };
}
