//! `/tickets`: the inbox views and search, one ticket with its conversation, and the ticket
//! actions (open, reply, pending, done, claim, and a manager's assign).
//!
//! Views: `unanswered`, `mine`, `pending` and `done` are the caller's own tickets for an
//! agent and the whole account's for a manager; `queued` and `all` are the account's for
//! everyone (agents read them to see the load, they cannot act on others' tickets).
//! `from`/`to` bound the ticket's creation time (RFC 3339 or a date, `to` exclusive).

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, ManagerCaller};
use crate::domain::channel::Channel;
use crate::domain::stage::Stage;
use crate::domain::ticket::TicketState;
use crate::domain::user::Role;
use crate::state::AppState;
use crate::store::sessions::Identity;
use crate::store::{self, tickets::ListFilter};
use crate::tickets;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tickets", web::get().to(list))
        .route("/tickets/{id}", web::get().to(get))
        .route("/tickets/{id}/open", web::post().to(open))
        .route("/tickets/{id}/reply", web::post().to(reply))
        .route("/tickets/{id}/pending", web::post().to(pending))
        .route("/tickets/{id}/done", web::post().to(done))
        .route("/tickets/{id}/claim", web::post().to(claim))
        .route("/tickets/{id}/assign", web::post().to(assign));
}

/// `GET /tickets` query.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    view: Option<String>,
    q: Option<String>,
    channel: Option<String>,
    stage: Option<String>,
    listing: Option<String>,
    status: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
    limit: Option<i64>,
}

const OPEN_STATES: [&str; 3] = ["assigned", "opened", "pending"];

fn bad(message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        message: message.into(),
    }
}

/// An RFC 3339 time, or a date meaning its midnight UTC.
fn parse_time(field: &str, raw: &str) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| {
            bad(format!(
                "`{field}` must be an RFC 3339 time or a YYYY-MM-DD date"
            ))
        })
}

/// The keyset cursor: the last item's creation time (microseconds) and id.
pub fn encode_cursor(at: DateTime<Utc>, id: i64) -> String {
    format!("{}_{}", at.timestamp_micros(), id)
}

pub fn decode_cursor(raw: &str) -> Result<(DateTime<Utc>, i64), ApiError> {
    let invalid = || ApiError::BadRequest {
        code: "invalid_cursor",
        message: "the cursor is not one this API gave out".into(),
    };
    let (micros, id) = raw.split_once('_').ok_or_else(invalid)?;
    let at = DateTime::from_timestamp_micros(micros.parse().map_err(|_| invalid())?)
        .ok_or_else(invalid)?;
    Ok((at, id.parse().map_err(|_| invalid())?))
}

/// Turns the query into a filter for this caller.
pub fn filter_for(who: &Identity, query: &ListQuery) -> Result<ListFilter, ApiError> {
    let own = (who.role != Role::Manager).then_some(who.user_id);
    let mut f = match query.view.as_deref().unwrap_or("mine") {
        "unanswered" => ListFilter {
            assignee: own,
            states: OPEN_STATES.to_vec(),
            only_unanswered: true,
            ..Default::default()
        },
        "mine" => ListFilter {
            assignee: Some(who.user_id),
            states: OPEN_STATES.to_vec(),
            ..Default::default()
        },
        "pending" => ListFilter {
            assignee: own,
            states: vec!["pending"],
            ..Default::default()
        },
        "done" => ListFilter {
            assignee: own,
            states: vec!["done"],
            ..Default::default()
        },
        "queued" => ListFilter {
            states: vec!["queued"],
            ..Default::default()
        },
        "all" => ListFilter::default(),
        other => {
            return Err(bad(format!(
                "`{other}` is not a view (unanswered, mine, pending, done, queued, all)"
            )))
        }
    };
    if let Some(status) = query.status.as_deref().filter(|s| !s.is_empty()) {
        let state = TicketState::parse(status).map_err(bad)?;
        f.states.retain(|s| *s == state.as_str());
        if f.states.is_empty() && query.view.as_deref() != Some("all") && query.view.is_some() {
            f.states = vec!["__none__"];
        } else if f.states.is_empty() {
            f.states = vec![state.as_str()];
        }
    }
    f.q = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(|q| q.chars().take(200).collect());
    f.channel = query
        .channel
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| Channel::parse(c).map(|c| c.to_string()))
        .transpose()
        .map_err(bad)?;
    f.stage = query
        .stage
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| Stage::parse(s).map(|s| s.as_str().to_string()))
        .transpose()
        .map_err(bad)?;
    f.listing = query
        .listing
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string);
    f.created_from = query
        .from
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| parse_time("from", v))
        .transpose()?;
    f.created_to = query
        .to
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| parse_time("to", v))
        .transpose()?;
    f.before = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;
    f.limit = match query.limit {
        None => 50,
        Some(n @ 1..=200) => n,
        Some(_) => return Err(bad("`limit` must be between 1 and 200")),
    };
    Ok(f)
}

async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut filter = filter_for(&caller.0, &query)?;
    let limit = filter.limit;
    filter.limit += 1;
    let mut items = store::tickets::list(&state.pool, caller.0.account_id, &filter).await?;
    let next_cursor = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|t| encode_cursor(t.created_at, t.id))
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(json!({"items": items, "next_cursor": next_cursor})))
}

async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let account_id = caller.0.account_id;
    let ticket = store::tickets::view(&state.pool, account_id, *path)
        .await?
        .ok_or(ApiError::NotFound("ticket"))?;
    let messages =
        store::tickets::thread_messages(&state.pool, account_id, ticket.thread_id).await?;
    let note = store::tickets::pending_note(&state.pool, ticket.id).await?;
    let mut body = serde_json::to_value(&ticket).map_err(|e| ApiError::Internal(Box::new(e)))?;
    body["messages"] = json!(messages);
    body["pending_note"] = json!(note);
    Ok(HttpResponse::Ok().json(body))
}

async fn open(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(tickets::open(&state.realtime, &caller.0, *path).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    body: String,
}

async fn reply(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Body<ReplyBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    Ok(HttpResponse::Ok()
        .json(tickets::reply(&state.realtime, &caller.0, *path, &body.body).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PendingBody {
    note: String,
}

async fn pending(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
    body: Body<PendingBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    Ok(HttpResponse::Ok()
        .json(tickets::mark_pending(&state.realtime, &caller.0, *path, &body.note).await?))
}

async fn done(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(tickets::mark_done(&state.realtime, &caller.0, *path).await?))
}

async fn claim(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<i64>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(tickets::claim(&state.realtime, &caller.0, *path).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    #[serde(with = "crate::domain::ids::as_string")]
    agent_id: i64,
}

async fn assign(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    path: web::Path<i64>,
    body: Body<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parsed()?;
    Ok(HttpResponse::Ok()
        .json(tickets::assign(&state.realtime, &caller.0, *path, body.agent_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent() -> Identity {
        Identity {
            session_id: 1,
            user_id: 7,
            account_id: 1,
            role: Role::Agent,
        }
    }

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let at: DateTime<Utc> = "2026-05-01T10:00:00.123456Z".parse().unwrap();
        assert_eq!(decode_cursor(&encode_cursor(at, 42)).unwrap(), (at, 42));
        for junk in ["", "abc", "1_", "_1", "x_1", "1_x"] {
            assert!(decode_cursor(junk).is_err(), "{junk}");
        }
    }

    #[test]
    fn agents_see_their_own_views_and_the_account_queue() {
        let q = |view: &str| ListQuery {
            view: Some(view.into()),
            ..Default::default()
        };
        assert_eq!(
            filter_for(&agent(), &q("unanswered")).unwrap().assignee,
            Some(7)
        );
        assert_eq!(filter_for(&agent(), &q("queued")).unwrap().assignee, None);
        let manager = Identity {
            role: Role::Manager,
            ..agent()
        };
        assert_eq!(filter_for(&manager, &q("pending")).unwrap().assignee, None);
        assert_eq!(filter_for(&manager, &q("mine")).unwrap().assignee, Some(7));
        assert!(filter_for(&agent(), &q("everything")).is_err());
        let bad_stage = ListQuery {
            stage: Some("later".into()),
            ..Default::default()
        };
        assert!(filter_for(&agent(), &bad_stage).is_err());
        let bad_limit = ListQuery {
            limit: Some(0),
            ..Default::default()
        };
        assert!(filter_for(&agent(), &bad_limit).is_err());
    }
}
