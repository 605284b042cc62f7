//! The inbox: ticket lists by view with search and filters (SPEC §5 `GET /tickets`), one
//! ticket with its conversation, and the snapshot a socket starts from. Every ticket is shown
//! with the views it belongs to for the caller (`domain::inbox`).

use super::failure::{failure_from, Failure};
use crate::dispatch::Dispatchers;
use crate::domain::channel::Channel;
use crate::domain::crm_filter::{CrmFilter, RawCrmFilter};
use crate::domain::ids::TicketId;
use crate::domain::inbox::{GuestRule, Order, View, Viewer};
use crate::domain::stage::{ReservationStatus, Stage};
use crate::domain::ticket::TicketState;
use crate::domain::time_range;
use crate::domain::user::Role;
use crate::presence::SessionKey;
use crate::session::frames::Snapshot;
use crate::store::{self, sessions::Identity, tickets::ListFilter};
use crate::wire::calendar::StayView;
pub use crate::wire::view_counts::{ViewCount, ViewCounts, COUNT_CAP};
use crate::wire::{Code, ErrorCode, MessageView, NoteView, Replier, TicketView};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::Arc;

use super::account_share::AccountShare;
use super::users::{UserError, Users};

/// Why a list or a ticket could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("{0}")]
    InvalidQuery(String),
    #[error("the cursor is not one this API gave out")]
    InvalidCursor,
    #[error("ticket not found")]
    NotFound,
    #[error("user not found")]
    UserNotFound,
    #[error(transparent)]
    Failure(#[from] Failure),
}
failure_from!(InboxError);

impl ErrorCode for InboxError {
    fn code(&self) -> Code {
        match self {
            InboxError::InvalidQuery(_) => Code::InvalidQuery,
            InboxError::InvalidCursor => Code::InvalidCursor,
            InboxError::NotFound | InboxError::UserNotFound => Code::NotFound,
            InboxError::Failure(f) => f.code(),
        }
    }
}

impl From<UserError> for InboxError {
    fn from(e: UserError) -> InboxError {
        match e {
            UserError::NotFound => InboxError::UserNotFound,
            UserError::Failure(f) => InboxError::Failure(f),
        }
    }
}

/// `GET /tickets` query, as sent.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The inbox tab; without it, the caller's own open tickets.
    #[param(value_type = Option<View>)]
    pub view: Option<String>,
    /// A guest name or a reservation id.
    pub q: Option<String>,
    #[param(value_type = Option<Channel>)]
    pub channel: Option<String>,
    #[param(value_type = Option<Stage>)]
    pub stage: Option<String>,
    /// A listing id or name.
    pub listing: Option<String>,
    #[param(value_type = Option<TicketState>)]
    pub status: Option<String>,
    /// Created at or after: an RFC 3339 time or a date (its midnight UTC).
    pub from: Option<String>,
    /// Created before: an RFC 3339 time or a date.
    pub to: Option<String>,
    /// The stay has a night on or after this date (YYYY-MM-DD; its check-out is later).
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub stay_from: Option<String>,
    /// The stay has a night before this date (YYYY-MM-DD; its check-in is earlier); after
    /// `stay_from`.
    #[param(value_type = Option<chrono::NaiveDate>)]
    pub stay_to: Option<String>,
    /// The reservation's status.
    #[param(value_type = Option<ReservationStatus>)]
    pub reservation_status: Option<String>,
    /// The reservation's total price is at least this (in its currency, e.g. `120.50`).
    #[param(value_type = Option<f64>, minimum = 0, maximum = 100000000000_i64)]
    pub price_min: Option<String>,
    /// The reservation's total price is at most this; not below `price_min`.
    #[param(value_type = Option<f64>, minimum = 0, maximum = 100000000000_i64)]
    pub price_max: Option<String>,
    /// Created at least this many hours ago.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 87600)]
    pub min_age_hours: Option<String>,
    /// Created at most this many hours ago; not below `min_age_hours`.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 87600)]
    pub max_age_hours: Option<String>,
    /// `waiting` (longest waiting first; the unanswered tab's default), `newest` (every
    /// other tab's default) or `activity` (latest message, guest's or agent's, first).
    #[param(value_type = Option<Order>)]
    pub sort: Option<String>,
    /// The `next_cursor` of the previous page (of the same order).
    pub cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A page of tickets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    pub items: Vec<TicketView>,
    pub next_cursor: Option<String>,
}

/// A ticket with its whole conversation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    #[serde(flatten)]
    pub ticket: TicketView,
    pub messages: Vec<MessageView>,
    /// The team's internal notes on the thread's tickets, oldest first: apart from
    /// `messages`, because they were never sent to the guest.
    pub notes: Vec<NoteView>,
    pub pending_note: Option<String>,
    /// The other stays of its listing that share a night with its reservation: an
    /// overbooking when not empty (`domain::calendar`).
    pub overlaps: Vec<StayView>,
}

fn bad(message: impl Into<String>) -> InboxError {
    InboxError::InvalidQuery(message.into())
}

/// An RFC 3339 time, or a date meaning its midnight UTC.
fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, InboxError> {
    let time = match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or_else(|| {
                bad(format!(
                    "`{field}` must be an RFC 3339 time or a YYYY-MM-DD date"
                ))
            })?,
    };
    time_range::time(field, time).map_err(bad)
}

/// The keyset cursor: the last item's sort time (microseconds) and id, marked `w` in the
/// longest-waiting order and `a` in the latest-activity one, so a cursor of one order is
/// refused in another.
pub fn encode_cursor(order: Order, at: DateTime<Utc>, id: TicketId) -> String {
    let mark = match order {
        Order::Newest => "",
        Order::Waiting => "w",
        Order::Activity => "a",
    };
    format!("{mark}{}_{}", at.timestamp_micros(), id)
}

pub fn decode_cursor(order: Order, raw: &str) -> Result<(DateTime<Utc>, TicketId), InboxError> {
    let raw = match order {
        Order::Newest => raw,
        Order::Waiting => raw.strip_prefix('w').ok_or(InboxError::InvalidCursor)?,
        Order::Activity => raw.strip_prefix('a').ok_or(InboxError::InvalidCursor)?,
    };
    let (micros, id) = raw.split_once('_').ok_or(InboxError::InvalidCursor)?;
    let micros = micros.parse().map_err(|_| InboxError::InvalidCursor)?;
    let at = DateTime::from_timestamp_micros(micros)
        .and_then(|at| time_range::time("cursor", at).ok())
        .ok_or(InboxError::InvalidCursor)?;
    Ok((at, id.parse().map_err(|_| InboxError::InvalidCursor)?))
}

/// A parameter that was given and is not blank (U+0000, which no column can hold, is refused).
fn non_empty(raw: &Option<String>) -> Option<&str> {
    raw.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The search box's text: reservation ids are shown as `#245`, so a pasted leading `#` is
/// dropped; at most 200 characters.
fn search_text(raw: &Option<String>) -> Option<String> {
    non_empty(raw)
        .map(|q| q.trim_start_matches('#').trim())
        .filter(|q| !q.is_empty())
        .map(|q| q.chars().take(200).collect())
}

fn refuse_nul(query: &ListQuery) -> Result<(), InboxError> {
    let fields = [
        &query.view,
        &query.q,
        &query.channel,
        &query.stage,
        &query.listing,
        &query.status,
        &query.from,
        &query.to,
        &query.cursor,
        &query.sort,
        &query.stay_from,
        &query.stay_to,
        &query.reservation_status,
        &query.price_min,
        &query.price_max,
        &query.min_age_hours,
        &query.max_age_hours,
    ];
    match fields
        .iter()
        .any(|f| f.as_deref().is_some_and(|v| v.contains('\0')))
    {
        true => Err(bad(
            "query parameters must not contain the character U+0000",
        )),
        false => Ok(()),
    }
}

/// Turns the query into a filter for this viewer, or `None` when it can match nothing (a
/// status outside the view's states).
pub fn filter_for(viewer: Viewer, query: &ListQuery) -> Result<Option<ListFilter>, InboxError> {
    refuse_nul(query)?;
    let view = query
        .view
        .as_deref()
        .map(View::parse)
        .transpose()
        .map_err(bad)?
        .unwrap_or(View::Mine);
    let scope = view.scope(viewer);
    let mut states = scope.states.to_vec();
    if let Some(status) = non_empty(&query.status) {
        let wanted = TicketState::parse(status).map_err(bad)?;
        // Without a view, a status names the caller's own tickets in that state.
        if query.view.is_some() && !states.is_empty() && !states.contains(&wanted) {
            return Ok(None);
        }
        states = vec![wanted];
    }
    let order = match non_empty(&query.sort) {
        Some(raw) => Order::parse(raw).map_err(bad)?,
        None => view.default_order(),
    };
    let limit = match query.limit {
        None => 50,
        Some(n @ 1..=200) => n,
        Some(_) => return Err(bad("`limit` must be between 1 and 200")),
    };
    Ok(Some(ListFilter {
        assignee: scope.assignee,
        states,
        only_unanswered: scope.only_unanswered,
        unparked: scope.unparked,
        guest: scope.guest,
        q: search_text(&query.q),
        channel: non_empty(&query.channel)
            .map(Channel::parse)
            .transpose()
            .map_err(bad)?,
        stage: non_empty(&query.stage)
            .map(Stage::parse)
            .transpose()
            .map_err(bad)?,
        listing: non_empty(&query.listing).map(str::to_string),
        created_from: non_empty(&query.from)
            .map(|v| parse_time("from", v))
            .transpose()?,
        created_to: non_empty(&query.to)
            .map(|v| parse_time("to", v))
            .transpose()?,
        crm: CrmFilter::parse(RawCrmFilter {
            stay_from: non_empty(&query.stay_from),
            stay_to: non_empty(&query.stay_to),
            reservation_status: non_empty(&query.reservation_status),
            price_min: non_empty(&query.price_min),
            price_max: non_empty(&query.price_max),
            min_age_hours: non_empty(&query.min_age_hours),
            max_age_hours: non_empty(&query.max_age_hours),
        })
        .map_err(bad)?,
        order,
        after: non_empty(&query.cursor)
            .map(|c| decode_cursor(order, c))
            .transpose()?,
        limit,
    }))
}

/// Reads the inbox.
#[derive(Clone)]
pub struct Inbox {
    pool: PgPool,
    dispatchers: Arc<Dispatchers>,
    users: Users,
    share: Arc<AccountShare>,
}

impl Inbox {
    pub fn new(
        pool: PgPool,
        dispatchers: Arc<Dispatchers>,
        users: Users,
        share: Arc<AccountShare>,
    ) -> Inbox {
        Inbox {
            pool,
            dispatchers,
            users,
            share,
        }
    }

    /// A page of the caller's view, in the order asked for (or the view's own).
    #[tracing::instrument(skip(self, who, query), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn list(&self, who: &Identity, query: &ListQuery) -> Result<Page, InboxError> {
        let viewer = who.viewer();
        let Some(mut filter) = filter_for(viewer, query)? else {
            return Ok(Page {
                items: Vec::new(),
                next_cursor: None,
            });
        };
        let limit = filter.limit;
        filter.limit += 1;
        let _place = self.share.enter(who.account_id).await;
        let mut records = store::tickets::list(&self.pool, who.account_id, &filter).await?;
        let next_cursor = if records.len() as i64 > limit {
            records.truncate(limit as usize);
            records.last().map(|t| {
                encode_cursor(
                    filter.order,
                    store::tickets::sort_time(filter.order, t),
                    t.id,
                )
            })
        } else {
            None
        };
        let mut items: Vec<TicketView> = records
            .into_iter()
            .map(|t| TicketView::new(t, viewer))
            .collect();
        if filter.guest == Some(GuestRule::RecentlyConfirmed) {
            self.add_repliers(who, &mut items).await?;
        }
        Ok(Page { items, next_cursor })
    }

    /// Says on each ticket who replied before its booking (`recently_confirmed`).
    async fn add_repliers(
        &self,
        who: &Identity,
        items: &mut [TicketView],
    ) -> Result<(), InboxError> {
        let ids: Vec<TicketId> = items.iter().map(|t| t.id).collect();
        let found =
            store::guest_views::replied_before_booking(&self.pool, who.account_id, &ids).await?;
        for t in items.iter_mut() {
            t.replied_before_booking = Some(
                found
                    .iter()
                    .filter(|(ticket, _, _)| *ticket == t.id)
                    .map(|(_, id, name)| Replier {
                        id: *id,
                        name: name.clone(),
                    })
                    .collect(),
            );
        }
        Ok(())
    }

    /// How many tickets each guest view holds for the caller, each count capped at
    /// [`COUNT_CAP`]: what the inbox's guest tabs show, without loading their lists.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn counts(&self, who: &Identity) -> Result<ViewCounts, InboxError> {
        let viewer = who.viewer();
        let _place = self.share.enter(who.account_id).await;
        let mut items = Vec::with_capacity(View::GUEST.len());
        for view in View::GUEST {
            let Some(rule) = view.scope(viewer).guest else {
                continue;
            };
            let count =
                store::guest_views::count(&self.pool, who.account_id, rule, COUNT_CAP).await?;
            items.push(ViewCount::new(view, count));
        }
        Ok(ViewCounts {
            items,
            capped_at: COUNT_CAP,
        })
    }

    /// One ticket with its conversation, internal notes and pending note.
    #[tracing::instrument(skip(self, who), fields(account_id = %who.account_id, user_id = %who.user_id))]
    pub async fn ticket(&self, who: &Identity, id: TicketId) -> Result<TicketDetail, InboxError> {
        let account_id = who.account_id;
        let _place = self.share.enter(account_id).await;
        let record = store::tickets::record(&self.pool, account_id, id)
            .await?
            .ok_or(InboxError::NotFound)?;
        let messages =
            store::tickets::thread_messages(&self.pool, account_id, record.thread_id).await?;
        let pending_note = store::tickets::pending_note(&self.pool, record.id).await?;
        let notes = store::notes::of_thread(&self.pool, account_id, record.thread_id).await?;
        let overlaps = match &record.reservation {
            Some(r) => store::calendar::overlapping(&self.pool, account_id, r.id).await?,
            None => Vec::new(),
        };
        Ok(TicketDetail {
            ticket: TicketView::new(record, who.viewer()),
            messages: messages.into_iter().map(MessageView::from).collect(),
            notes: notes.into_iter().map(NoteView::from).collect(),
            pending_note,
            overlaps: StayView::overlapping(overlaps),
        })
    }

    /// The user's whole inbox and work state from the database, and their broadcast offers.
    pub async fn snapshot(&self, key: SessionKey) -> Result<Snapshot, InboxError> {
        let tickets =
            store::tickets::active_for_agent(&self.pool, key.account_id, key.user_id).await?;
        // The user as they are now (their role may have changed since they signed in).
        let user = self.users.view(key.account_id, key.user_id).await?;
        let viewer = Viewer {
            user_id: user.id,
            is_manager: user.role == Role::Manager,
        };
        let offers = self
            .dispatchers
            .offers_for(key.account_id, key.user_id)
            .await;
        let offers = store::tickets::records(&self.pool, key.account_id, &offers).await?;
        let view = |t| TicketView::new(t, viewer);
        Ok(Snapshot {
            tickets: tickets.into_iter().map(view).collect(),
            state: user.state,
            offers: offers.into_iter().map(view).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::UserId;

    const AGENT: Viewer = Viewer {
        user_id: UserId(7),
        is_manager: false,
    };

    fn query(view: &str) -> ListQuery {
        ListQuery {
            view: Some(view.into()),
            ..Default::default()
        }
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let at: DateTime<Utc> = "2026-05-01T10:00:00.123456Z".parse().unwrap();
        for order in [Order::Newest, Order::Waiting, Order::Activity] {
            assert_eq!(
                decode_cursor(order, &encode_cursor(order, at, TicketId(42))).unwrap(),
                (at, TicketId(42))
            );
        }
        for junk in [
            "",
            "abc",
            "1_",
            "_1",
            "x_1",
            "1_x",
            "-200000000000000000_1",
            "w1_1",
            "a1_1",
        ] {
            assert!(decode_cursor(Order::Newest, junk).is_err(), "{junk}");
        }
        let orders = [Order::Newest, Order::Waiting, Order::Activity];
        for made in orders {
            let cursor = encode_cursor(made, at, TicketId(42));
            for other in orders.into_iter().filter(|o| *o != made) {
                assert!(
                    decode_cursor(other, &cursor).is_err(),
                    "a cursor of {made:?} is refused in {other:?}"
                );
            }
        }
    }

    #[test]
    fn agents_see_their_own_views_and_the_account_queue() {
        let filter = |v: Viewer, q: &ListQuery| filter_for(v, q).unwrap().unwrap();
        assert_eq!(
            filter(AGENT, &query("unanswered")).assignee,
            Some(UserId(7))
        );
        assert_eq!(filter(AGENT, &query("queued")).assignee, None);
        let manager = Viewer {
            is_manager: true,
            ..AGENT
        };
        assert_eq!(filter(manager, &query("pending")).assignee, None);
        assert_eq!(filter(manager, &query("mine")).assignee, Some(UserId(7)));
        assert!(filter_for(AGENT, &query("everything")).is_err());
        let bad_stage = ListQuery {
            stage: Some("later".into()),
            ..Default::default()
        };
        assert!(filter_for(AGENT, &bad_stage).is_err());
        let bad_limit = ListQuery {
            limit: Some(0),
            ..Default::default()
        };
        assert!(filter_for(AGENT, &bad_limit).is_err());
    }

    #[test]
    fn a_reservation_id_pasted_as_the_list_shows_it_is_searched_without_its_hash() {
        let q = |raw: &str| search_text(&Some(raw.to_string()));
        assert_eq!(q(" #245 ").as_deref(), Some("245"));
        assert_eq!(q("Zoë").as_deref(), Some("Zoë"));
        assert_eq!(q("#"), None);
    }

    #[test]
    fn a_nul_in_any_parameter_is_refused() {
        let nul = ListQuery {
            q: Some("zo\u{0}e".into()),
            ..query("all")
        };
        assert!(matches!(
            filter_for(AGENT, &nul),
            Err(InboxError::InvalidQuery(_))
        ));
    }

    #[test]
    fn a_status_outside_the_view_matches_nothing_and_inside_narrows_it() {
        let done_in_pending = ListQuery {
            status: Some("done".into()),
            ..query("pending")
        };
        assert!(filter_for(AGENT, &done_in_pending).unwrap().is_none());
        let opened_in_mine = ListQuery {
            status: Some("opened".into()),
            ..query("mine")
        };
        let f = filter_for(AGENT, &opened_in_mine).unwrap().unwrap();
        assert_eq!(f.states, vec![TicketState::Opened]);
        let queued_in_all = ListQuery {
            status: Some("queued".into()),
            ..query("all")
        };
        let f = filter_for(AGENT, &queued_in_all).unwrap().unwrap();
        assert_eq!(f.states, vec![TicketState::Queued]);
    }
}
