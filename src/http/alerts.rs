//! `GET /alerts?state=open|all` and `POST /alerts/{id}/ack` (managers): the alerts raised for
//! the account (`app::alerts`); new ones also arrive as `alert` frames.

use super::error::ApiError;
use super::identity::ManagerCaller;
use super::responses as doc;
use super::Routes;
use crate::app::alerts::AlertList;
use crate::app::Services;
use crate::domain::ids::AlertId;
use crate::store::alerts::Alert;
use actix_web::http::Method;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/alerts", list);
    r.add(Method::POST, "/alerts/{id}/ack", ack);
}

/// Which alerts to list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    /// Not acknowledged yet (the default).
    #[default]
    Open,
    /// Every alert.
    All,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    /// `open` (default) or `all`.
    #[param(inline)]
    state: Option<AlertState>,
}

/// `GET /alerts`: the account's alerts, newest first (at most 200).
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertQuery),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The alerts, newest first.", body = AlertList),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn list(
    services: web::Data<Services>,
    caller: ManagerCaller,
    query: web::Query<AlertQuery>,
) -> Result<HttpResponse, ApiError> {
    let open_only = matches!(query.state.unwrap_or_default(), AlertState::Open);
    Ok(HttpResponse::Ok().json(services.alerts.list(&caller.0, open_only).await?))
}

/// `POST /alerts/{id}/ack`: the manager has seen it; acknowledging again changes nothing.
#[utoipa::path(post, path = "/api/v1/alerts/{id}/ack", tag = "alerts",
    params(("id" = AlertId, Path, description = "The alert's id.", example = "1")),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The alert, acknowledged.", body = Alert),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 404, response = doc::NotFound),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn ack(
    services: web::Data<Services>,
    caller: ManagerCaller,
    id: web::Path<AlertId>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(services.alerts.ack(&caller.0, *id).await?))
}
