//! Outbound delivery (`app::outbound`, SPEC §9): channel connections (managers), the bridges'
//! delivery reports and pull feed (account API key), and a manual retry of a failed reply.

use super::body::Body;
use super::error::ApiError;
use super::identity::{Caller, IngestCaller, ManagerCaller};
use crate::app::outbound::{ConnectionPatch, DeliveryReport, NewConnection};
use crate::app::Services;
use crate::domain::ids::{ConnectionId, MessageId};
use actix_web::{web, HttpResponse};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/connections", web::get().to(list))
        .route("/connections", web::post().to(create))
        .route("/connections/{id}", web::patch().to(update))
        .route("/connections/{id}", web::delete().to(delete))
        .route("/connections/{id}/test", web::post().to(test))
        .route("/connections/{id}/deliveries", web::get().to(deliveries))
        .route("/ingest/deliveries", web::post().to(report))
        .route("/outbound", web::get().to(feed))
        .route("/messages/{id}/retry", web::post().to(retry));
}

type Answer = Result<HttpResponse, ApiError>;

async fn list(services: web::Data<Services>, caller: ManagerCaller) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.list(&caller.0).await?))
}

async fn create(
    services: web::Data<Services>,
    caller: ManagerCaller,
    body: Body<NewConnection>,
) -> Answer {
    let body = body.parsed()?;
    Ok(HttpResponse::Created().json(services.outbound.create(&caller.0, &body).await?))
}

async fn update(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
    body: Body<ConnectionPatch>,
) -> Answer {
    let patch = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.outbound.update(&caller.0, *id, &patch).await?))
}

async fn delete(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
) -> Answer {
    services.outbound.delete(&caller.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn test(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.test(&caller.0, *id).await?))
}

async fn deliveries(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<ConnectionId>,
) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.deliveries(&caller.0, *id).await?))
}

async fn report(
    services: web::Data<Services>,
    caller: IngestCaller,
    body: Body<DeliveryReport>,
) -> Answer {
    let report = body.parsed()?;
    Ok(HttpResponse::Ok().json(services.outbound.report(&caller.0, &report).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedQuery {
    after: Option<String>,
    limit: Option<i64>,
}

async fn feed(
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

async fn retry(services: web::Data<Services>, caller: Caller, id: web::Path<MessageId>) -> Answer {
    Ok(HttpResponse::Ok().json(services.outbound.retry(&caller.0, *id).await?))
}
