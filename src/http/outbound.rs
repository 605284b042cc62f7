//! Outbound delivery (`app::outbound`, SPEC §9): channel connections (managers), the bridges'
//! delivery reports and pull feed (account API key), and a manual retry of a failed reply.

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, IngestCaller, ManagerCaller};
use super::responses as doc;
use super::Routes;
use crate::app::outbound::{ConnectionPatch, DeliveryReport, Feed, Items, NewConnection};
use crate::app::Services;
use crate::domain::ids::{ConnectionId, MessageId};
use crate::wire::outbound::{ConnectionView, CreatedConnection, DeliveryView};
use crate::wire::MessageView;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/connections", list)
        .add(Method::POST, "/connections", create)
        .add(Method::PATCH, "/connections/{id}", update)
        .add(Method::DELETE, "/connections/{id}", delete)
        .add(Method::POST, "/connections/{id}/test", test)
        .add(Method::GET, "/connections/{id}/deliveries", deliveries)
        .add(Method::POST, "/ingest/deliveries", report)
        .add(Method::GET, "/outbound", feed)
        .add(Method::POST, "/messages/{id}/retry", retry);
}

type Answer = Result<HttpResponse, ApiError>;

/// The account's channel connections (never their secrets).
#[utoipa::path(get, path = "/api/v1/connections", tag = "connections",
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Every connection.", body = Items<ConnectionView>),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn list(services: web::Data<Services>, caller: ManagerCaller) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.list(&caller.0).await?))
}

/// A new connection; its signing secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/connections", tag = "connections", request_body = NewConnection,
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "The connection with its secret.", body = CreatedConnection),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn create(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Body<NewConnection>,
) -> Answer {
    let body = body.parsed()?;
    Ok(HttpResponse::Created().json(services.outbound.create(&caller.0, &body).await?))
}

/// Changes a connection's name, channels or URL.
#[utoipa::path(patch, path = "/api/v1/connections/{id}", tag = "connections",
    request_body = ConnectionPatch,
    params(("id" = ConnectionId, Path, description = "The connection's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The connection as changed.", body = ConnectionView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn update(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
    body: Body<ConnectionPatch>,
) -> Answer {
    let patch = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.outbound.update(&caller.0, *id, &patch).await?))
}

/// Removes a connection; nothing more is delivered to it.
#[utoipa::path(delete, path = "/api/v1/connections/{id}", tag = "connections",
    params(("id" = ConnectionId, Path, description = "The connection's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Removed."),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn delete(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
) -> Answer {
    services.outbound.delete(&caller.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a signed test event to the connection now, and answers how it went.
#[utoipa::path(post, path = "/api/v1/connections/{id}/test", tag = "connections",
    params(("id" = ConnectionId, Path, description = "The connection's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The test delivery.", body = DeliveryView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn test(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.test(&caller.0, *id).await?))
}

/// The connection's recent deliveries with their status codes.
#[utoipa::path(get, path = "/api/v1/connections/{id}/deliveries", tag = "connections",
    params(("id" = ConnectionId, Path, description = "The connection's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Recent deliveries, newest first.", body = Items<DeliveryView>),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn deliveries(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.deliveries(&caller.0, *id).await?))
}

/// A bridge reports that a reply reached the guest (or could not).
#[utoipa::path(post, path = "/api/v1/ingest/deliveries", tag = "ingest", request_body = DeliveryReport,
    security(("ingest_key" = [])),
    responses(
        (status = 200, description = "The reply with its delivery as it now stands.", body = MessageView),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 404, response = doc::NotFound),
        (status = 413, response = doc::PayloadTooLarge),
        (status = 429, response = doc::RateLimited),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn report(
    services: web::Data<Services>,
    caller: IngestCaller,
    body: Body<DeliveryReport>,
) -> Answer {
    let report = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.outbound.report(&caller.0, &report).await?))
}

/// Where the pull feed continues.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous page (absent: from the start).
    after: Option<String>,
    /// At most this many items (1–500).
    limit: Option<i64>,
}

/// The pull alternative to webhooks: replies after `after`, oldest first.
#[utoipa::path(get, path = "/api/v1/outbound", tag = "ingest", params(FeedQuery),
    security(("ingest_key" = [])),
    responses(
        (status = 200, description = "A page of replies to deliver.", body = Feed),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 429, response = doc::RateLimited),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn feed(
    services: web::Data<Services>,
    caller: IngestCaller,
    query: web::Query<FeedQuery>,
) -> Answer {
    let feed = services
        .outbound
        .feed(caller.0.account_id, query.after.as_deref(), query.limit)
        .await?;
    Ok(HttpResponse::Ok().json(feed))
}

/// Delivers a failed reply again.
#[utoipa::path(post, path = "/api/v1/messages/{id}/retry", tag = "tickets",
    params(("id" = MessageId, Path, description = "The reply's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The reply with its delivery queued again.", body = MessageView),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 422, response = doc::InvalidState),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn retry(
    services: web::Data<Services>,
    caller: Caller,
    id: web::Path<MessageId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.retry(&caller.0, *id).await?))
}
