//! Ticket rows as the rest of the server reads them (typed, not yet a wire shape), and the
//! ticket rows' state changes.

use crate::domain::channel::Channel;
use crate::domain::crm_filter::CrmFilter;
use crate::domain::delivery::DeliveryStatus;
use crate::domain::ids::{
    AccountId, GuestId, ListingId, MessageId, ReservationId, ThreadId, TicketId, UserId,
};
use crate::domain::inbox::{GuestFlags, GuestRule, Order};
use crate::domain::stage::{ReservationStatus, Stage};
use crate::domain::ticket::{Direction, TicketState};
use crate::domain::todo::{
    awaiting_payment, recently_confirmed, staying_unhappy, GuestFacts, Mood,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};

/// A ticket with its guest and reservation.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketRecord {
    pub id: TicketId,
    pub thread_id: ThreadId,
    pub state: TicketState,
    pub stage: Stage,
    pub channel: Channel,
    pub assignee_id: Option<UserId>,
    /// The assignee's display name, so lists and the ticket page say who has it.
    pub assignee_name: Option<String>,
    pub unanswered: bool,
    pub created_at: DateTime<Utc>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub awaiting_reply_since: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// A manager gave it to its assignee; no automatic move takes it.
    pub pinned: bool,
    pub guest: GuestRecord,
    pub reservation: Option<ReservationRecord>,
    /// The newest message of the ticket (its first 140 characters), for the list's preview.
    pub last_message: Option<(Direction, String)>,
    /// When its newest message was sent, or its creation if that is later: what the
    /// latest-activity order sorts by.
    pub last_activity_at: DateTime<Utc>,
    /// The latest mood (1–5), who set it (null: the bridge) and when.
    pub mood: Option<i16>,
    pub mood_set_by: Option<UserId>,
    pub mood_set_at: Option<DateTime<Utc>>,
    /// Parked until this time (a follow-up), with its note.
    pub follow_up_at: Option<DateTime<Utc>>,
    pub follow_up_note: Option<String>,
    /// Which guest views it meets, read by the same statement (`views[]`).
    pub guest_flags: GuestFlags,
}

/// The guest of a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestRecord {
    pub id: GuestId,
    pub name: String,
    pub language: Option<String>,
}

/// The reservation of a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct ReservationRecord {
    pub id: ReservationId,
    pub external_id: String,
    pub status: ReservationStatus,
    pub listing_id: Option<ListingId>,
    pub listing: Option<String>,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
    pub total_price_cents: Option<i64>,
    pub currency: Option<String>,
    pub payment_status: Option<String>,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageRecord {
    pub id: MessageId,
    /// None for a backfilled (history) message, which belongs to its thread only.
    pub ticket_id: Option<TicketId>,
    pub direction: Direction,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    pub author_id: Option<UserId>,
    /// A reply's delivery to the channel (`None` for guest messages).
    pub delivery: Option<MessageDelivery>,
}

fn decode(e: String) -> sqlx::Error {
    sqlx::Error::Decode(e.into())
}

/// The columns of a ticket record (see [`record_from_row`]); `t` is the ticket row.
macro_rules! view_columns {
    () => {
        concat!("SELECT t.id, t.thread_id, t.state, t.stage, t.channel, t.assignee_id, \
    t.awaiting_reply_since IS NOT NULL AS unanswered, t.created_at, t.assigned_at, t.opened_at, t.first_response_at, \
    t.awaiting_reply_since, t.closed_at, t.pinned, g.id AS guest_id, g.name AS guest_name, g.language AS guest_language, \
    r.id AS r_id, r.external_id AS r_external_id, r.status AS r_status, l.name AS r_listing, r.check_in AS r_check_in, \
    r.check_out AS r_check_out, r.total_price_cents AS r_total_price_cents, r.currency AS r_currency, \
    r.payment_status AS r_payment_status, r.listing_id AS r_listing_id, a.name AS assignee_name, \
    lm.direction AS last_direction, lm.preview AS last_preview, \
    GREATEST(t.created_at, t.last_activity_at) AS activity_at, t.mood, t.mood_set_by, t.mood_set_at, \
    t.follow_up_at, t.follow_up_note, t.follow_up_agent, t.follow_up_by, \
    (SELECT array_agg(d.created_by) FROM ticket_todos d WHERE d.ticket_id = t.id AND NOT d.done) AS open_todo_authors, \
    EXISTS (SELECT 1 FROM ticket_todos d WHERE d.ticket_id = t.id AND NOT d.done AND d.kind = 'refund') AS open_refund, \
    ac.today AS account_today, ac.recently_confirmed_days, now() AS db_now, r.confirmed_at AS r_confirmed_at, ",
        overlap_exists!(),
        " AS r_overlaps, ",
        asked_before_confirmed!(),
        " AS r_asked_first")
    };
}

/// Guest, reservation and listing of the ticket `t`, looked up by primary key.
///
/// They are joined as `LATERAL (… LIMIT 1)` lookups: the `LIMIT` keeps PostgreSQL from
/// flattening them into plain joins, which a generic plan for a handful of tickets turned into
/// hash joins over whole guest and reservation tables on every push.
macro_rules! view_joins {
    () => {
        "CROSS JOIN LATERAL (SELECT id, name, language FROM guests WHERE id = t.guest_id LIMIT 1) g \
    LEFT JOIN LATERAL (SELECT id, external_id, status, listing_id, check_in, check_out, total_price_cents, \
      currency, payment_status, confirmed_at FROM reservations WHERE id = t.reservation_id LIMIT 1) r ON true \
    LEFT JOIN LATERAL (SELECT name, external_id FROM listings WHERE id = r.listing_id LIMIT 1) l ON true \
    LEFT JOIN LATERAL (SELECT name FROM users WHERE id = t.assignee_id LIMIT 1) a ON true \
    LEFT JOIN LATERAL (SELECT (now() AT TIME ZONE timezone)::date AS today, recently_confirmed_days \
      FROM accounts WHERE id = t.account_id LIMIT 1) ac ON true \
    LEFT JOIN LATERAL (SELECT direction, left(body, 140) AS preview FROM messages WHERE ticket_id = t.id \
      ORDER BY sent_at DESC, id DESC LIMIT 1) lm ON true"
    };
}

/// The SELECT behind every ticket record; callers add WHERE/ORDER/LIMIT.
pub const VIEW_SELECT: &str = concat!(view_columns!(), " FROM tickets t ", view_joins!());

/// Ticket records by id.
const RECORDS_BY_ID: &str = concat!(
    select_by_ids!(view_columns!(), "tickets", "t", view_joins!()),
    " ORDER BY t.id"
);

/// Decodes a row of [`VIEW_SELECT`].
pub fn record_from_row(r: &PgRow) -> Result<TicketRecord, sqlx::Error> {
    let reservation = match r.try_get::<Option<ReservationId>, _>("r_id")? {
        Some(id) => Some(ReservationRecord {
            id,
            external_id: r.try_get("r_external_id")?,
            status: ReservationStatus::parse(r.try_get("r_status")?).map_err(decode)?,
            listing_id: r.try_get("r_listing_id")?,
            listing: r.try_get("r_listing")?,
            check_in: r.try_get("r_check_in")?,
            check_out: r.try_get("r_check_out")?,
            total_price_cents: r.try_get("r_total_price_cents")?,
            currency: r.try_get("r_currency")?,
            payment_status: r.try_get("r_payment_status")?,
        }),
        None => None,
    };
    let state = TicketState::parse(r.try_get("state")?).map_err(decode)?;
    let guest_flags = guest_flags_from_row(r, state, reservation.as_ref())?;
    Ok(TicketRecord {
        id: r.try_get("id")?,
        thread_id: r.try_get("thread_id")?,
        state,
        stage: Stage::parse(r.try_get("stage")?).map_err(decode)?,
        channel: Channel::parse(r.try_get("channel")?).map_err(decode)?,
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
        unanswered: r.try_get("unanswered")?,
        created_at: r.try_get("created_at")?,
        assigned_at: r.try_get("assigned_at")?,
        opened_at: r.try_get("opened_at")?,
        first_response_at: r.try_get("first_response_at")?,
        awaiting_reply_since: r.try_get("awaiting_reply_since")?,
        closed_at: r.try_get("closed_at")?,
        pinned: r.try_get("pinned")?,
        guest: GuestRecord {
            id: r.try_get("guest_id")?,
            name: r.try_get("guest_name")?,
            language: r.try_get("guest_language")?,
        },
        reservation,
        last_message: match r.try_get::<Option<&str>, _>("last_direction")? {
            Some(d) => Some((
                Direction::parse(d).map_err(decode)?,
                r.try_get("last_preview")?,
            )),
            None => None,
        },
        last_activity_at: r.try_get("activity_at")?,
        mood: r.try_get("mood")?,
        mood_set_by: r.try_get("mood_set_by")?,
        mood_set_at: r.try_get("mood_set_at")?,
        follow_up_at: r.try_get("follow_up_at")?,
        follow_up_note: r.try_get("follow_up_note")?,
        guest_flags,
    })
}

/// The guest views' facts of a row of [`VIEW_SELECT`], with the rules that do not depend on
/// who looks applied (`domain::todo`); what the overlap and status-history lookups found.
fn guest_flags_from_row(
    r: &PgRow,
    state: TicketState,
    reservation: Option<&ReservationRecord>,
) -> Result<GuestFlags, sqlx::Error> {
    let facts = GuestFacts {
        reservation_status: reservation.map(|res| res.status),
        payment_status: reservation.and_then(|res| res.payment_status.clone()),
        check_in: reservation.and_then(|res| res.check_in),
        check_out: reservation.and_then(|res| res.check_out),
        mood: r
            .try_get::<Option<i16>, _>("mood")?
            .and_then(|m| Mood::parse(i64::from(m)).ok()),
        ..GuestFacts::default()
    };
    let today: Option<NaiveDate> = r.try_get("account_today")?;
    let parked = r
        .try_get::<Option<DateTime<Utc>>, _>("follow_up_at")?
        .is_some();
    Ok(GuestFlags {
        open_todo_authors: r
            .try_get::<Option<Vec<UserId>>, _>("open_todo_authors")?
            .unwrap_or_default(),
        open_refund: r.try_get("open_refund")?,
        awaiting_payment: awaiting_payment(&facts),
        staying_unhappy: today.is_some_and(|today| staying_unhappy(&facts, today)),
        overbooked: facts.reservation_status != Some(ReservationStatus::Cancelled)
            && r.try_get::<Option<bool>, _>("r_overlaps")?.unwrap_or(false),
        recently_confirmed: recently_confirmed(
            facts.reservation_status,
            r.try_get("r_confirmed_at")?,
            r.try_get::<Option<bool>, _>("r_asked_first")?
                .unwrap_or(false),
            r.try_get("db_now")?,
            r.try_get::<Option<i32>, _>("recently_confirmed_days")?
                .unwrap_or_default(),
        ),
        follow_up: (parked && state != TicketState::Done)
            .then(|| {
                Ok::<_, sqlx::Error>((r.try_get("follow_up_agent")?, r.try_get("follow_up_by")?))
            })
            .transpose()?,
    })
}

/// The tickets of the account with these ids (missing ids are skipped), by id.
pub async fn records(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ids: &[TicketId],
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(RECORDS_BY_ID)
        .bind(account_id)
        .bind(ids)
        .fetch_all(db)
        .await?;
    rows.iter().map(record_from_row).collect()
}

/// One ticket of the account.
pub async fn record(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    id: TicketId,
) -> Result<Option<TicketRecord>, sqlx::Error> {
    Ok(records(db, account_id, &[id]).await?.pop())
}

/// The agent's inbox: their assigned, opened and pending tickets that are not parked until
/// a follow-up, oldest first.
pub async fn active_for_agent(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    agent_id: UserId,
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    const SQL: &str = concat!(
        view_columns!(),
        " FROM tickets t ",
        view_joins!(),
        " WHERE t.account_id = $1 AND t.assignee_id = $2 AND t.follow_up_at IS NULL AND t.state IN ",
        state_sql!(Active),
        " ORDER BY t.created_at, t.id"
    );
    let rows = sqlx::query(SQL)
        .bind(account_id)
        .bind(agent_id)
        .fetch_all(db)
        .await?;
    rows.iter().map(record_from_row).collect()
}

pub(super) fn message_from_row(r: &PgRow) -> Result<MessageRecord, sqlx::Error> {
    Ok(MessageRecord {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        direction: Direction::parse(r.try_get("direction")?).map_err(decode)?,
        body: r.try_get("body")?,
        sent_at: r.try_get("sent_at")?,
        author_id: r.try_get("author_id")?,
        delivery: message_delivery_from_row(r)?,
    })
}

/// Messages of the account with these ids.
pub async fn messages(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    ids: &[MessageId],
) -> Result<Vec<MessageRecord>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(select_by_ids!(
        "SELECT m.id, m.ticket_id, m.direction, m.body, m.sent_at, m.author_id, \
         m.delivery_status, m.delivery_attempts, m.delivery_error",
        "messages",
        "m",
        ""
    ))
    .bind(account_id)
    .bind(ids)
    .fetch_all(db)
    .await?;
    rows.iter().map(message_from_row).collect()
}

/// The whole conversation of a ticket's thread, oldest first.
pub async fn thread_messages(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    thread_id: ThreadId,
) -> Result<Vec<MessageRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, ticket_id, direction, body, sent_at, author_id, delivery_status, \
         delivery_attempts, delivery_error FROM messages \
         WHERE account_id = $1 AND thread_id = $2 ORDER BY sent_at, id",
    )
    .bind(account_id)
    .bind(thread_id)
    .fetch_all(db)
    .await?;
    rows.iter().map(message_from_row).collect()
}

/// The pending note of a ticket.
pub async fn pending_note(
    db: impl PgExecutor<'_>,
    id: TicketId,
) -> Result<Option<String>, sqlx::Error> {
    Ok(
        sqlx::query_scalar::<_, Option<String>>("SELECT pending_note FROM tickets WHERE id = $1")
            .bind(id)
            .fetch_optional(db)
            .await?
            .flatten(),
    )
}

/// Which tickets a list shows (SPEC §5 `GET /tickets`), already validated.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Restrict to this assignee (an agent's own views).
    pub assignee: Option<UserId>,
    /// Restrict to these states (empty: every state).
    pub states: Vec<TicketState>,
    pub only_unanswered: bool,
    /// Leave out tickets parked until a follow-up.
    pub unparked: bool,
    /// A guest view's rule (`domain::todo` states each in Rust).
    pub guest: Option<GuestRule>,
    /// Guest name (substring, any case, accents folded: "zoe" finds "Zoë") or exact
    /// reservation id.
    pub q: Option<String>,
    pub channel: Option<Channel>,
    pub stage: Option<Stage>,
    /// Listing: our id, its external id or its name.
    pub listing: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Stay dates, reservation status, price and time since created (`domain::crm_filter`).
    pub crm: CrmFilter,
    pub order: Order,
    /// Keyset position: tickets strictly after (sort time, id) in `order`.
    pub after: Option<(DateTime<Utc>, TicketId)>,
    pub limit: i64,
}

/// The time a ticket is sorted by in `order` (its keyset cursor holds it).
pub fn sort_time(order: Order, t: &TicketRecord) -> DateTime<Utc> {
    match order {
        Order::Newest => t.created_at,
        Order::Waiting => t.awaiting_reply_since.unwrap_or(t.created_at),
        Order::Activity => t.last_activity_at,
    }
}

/// A page of tickets in the filter's order.
pub async fn list(
    db: impl PgExecutor<'_>,
    account_id: AccountId,
    f: &ListFilter,
) -> Result<Vec<TicketRecord>, sqlx::Error> {
    let mut q = sqlx::QueryBuilder::new(VIEW_SELECT);
    q.push(" WHERE t.account_id = ").push_bind(account_id);
    if let Some(a) = f.assignee {
        q.push(" AND t.assignee_id = ").push_bind(a);
    }
    if !f.states.is_empty() {
        q.push(" AND t.state = ANY(")
            .push_bind(f.states.iter().map(|s| s.as_str()).collect::<Vec<_>>())
            .push(")");
    }
    if f.only_unanswered {
        q.push(" AND t.awaiting_reply_since IS NOT NULL");
    }
    if f.unparked {
        q.push(" AND t.follow_up_at IS NULL");
    }
    if let Some(rule) = f.guest {
        super::guest_views::push_rule(&mut q, rule);
    }
    if let Some(text) = &f.q {
        let pattern = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        q.push(" AND (unaccent(g.name) ILIKE unaccent(")
            .push_bind(pattern)
            .push(")")
            .push(" OR r.external_id = ")
            .push_bind(text.clone())
            .push(")");
    }
    if let Some(c) = &f.channel {
        q.push(" AND t.channel = ")
            .push_bind(c.as_str().to_string());
    }
    if let Some(s) = f.stage {
        q.push(" AND t.stage = ").push_bind(s.as_str());
    }
    if let Some(l) = &f.listing {
        q.push(" AND (l.external_id = ")
            .push_bind(l.clone())
            .push(" OR l.name = ")
            .push_bind(l.clone());
        q.push(" OR t.listing_id::text = ")
            .push_bind(l.clone())
            .push(")");
    }
    if let Some(from) = f.created_from {
        q.push(" AND t.created_at >= ").push_bind(from);
    }
    if let Some(to) = f.created_to {
        q.push(" AND t.created_at < ").push_bind(to);
    }
    push_crm(&mut q, &f.crm);
    let (key, after, direction) = match f.order {
        Order::Newest => ("t.created_at", " < (", " DESC"),
        Order::Waiting => (
            "COALESCE(t.awaiting_reply_since, t.created_at)",
            " > (",
            " ASC",
        ),
        // The expression `tickets_by_activity` (migration 0150) indexes.
        Order::Activity => (
            "GREATEST(t.created_at, t.last_activity_at)",
            " < (",
            " DESC",
        ),
    };
    if let Some((at, id)) = f.after {
        q.push(" AND (")
            .push(key)
            .push(", t.id)")
            .push(after)
            .push_bind(at)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(" ORDER BY ")
        .push(key)
        .push(direction)
        .push(", t.id")
        .push(direction)
        .push(" LIMIT ")
        .push_bind(f.limit);
    let rows = q.build().fetch_all(db).await?;
    rows.iter().map(record_from_row).collect()
}

/// Appends the CRM filters (`domain::crm_filter::matches` says the same rule) for the ticket
/// `t` and its reservation `r`.
fn push_crm(q: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, f: &CrmFilter) {
    if let Some(from) = f.stay_from {
        q.push(" AND r.check_in IS NOT NULL AND r.check_out > ")
            .push_bind(from);
    }
    if let Some(to) = f.stay_to {
        q.push(" AND r.check_out IS NOT NULL AND r.check_in < ")
            .push_bind(to);
    }
    if let Some(status) = f.reservation_status {
        q.push(" AND r.status = ").push_bind(status.as_str());
    }
    if let Some(min) = f.price_min_cents {
        q.push(" AND r.total_price_cents >= ").push_bind(min);
    }
    if let Some(max) = f.price_max_cents {
        q.push(" AND r.total_price_cents <= ").push_bind(max);
    }
    if let Some(min) = f.min_age_hours {
        q.push(" AND t.created_at <= now() - make_interval(hours => ")
            .push_bind(min as i32)
            .push(")");
    }
    if let Some(max) = f.max_age_hours {
        q.push(" AND t.created_at >= now() - make_interval(hours => ")
            .push_bind(max as i32)
            .push(")");
    }
}

/// A reply's delivery status as stored on the message.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageDelivery {
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
}

/// Decodes the `delivery_status, delivery_attempts, delivery_error` columns of a message row.
fn message_delivery_from_row(r: &PgRow) -> Result<Option<MessageDelivery>, sqlx::Error> {
    let Some(status) = r.try_get::<Option<String>, _>("delivery_status")? else {
        return Ok(None);
    };
    Ok(Some(MessageDelivery {
        status: DeliveryStatus::parse(&status).map_err(decode)?,
        attempts: r.try_get("delivery_attempts")?,
        last_error: r.try_get("delivery_error")?,
    }))
}
