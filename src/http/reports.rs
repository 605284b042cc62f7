//! `/reports/agents` and `/reports/team` (managers only), as JSON or CSV (`format=csv` or
//! `Accept: text/csv`). Periods are in the account's timezone; without `from`/`to` a report
//! covers this month so far, and `compare=previous` adds the period of equal length before.

use super::error::ApiError;
use super::identity::ManagerCaller;
use super::responses as doc;
use super::Routes;
use crate::app::reports::{team_csv, to_csv, SalesKpis};
use crate::app::Services;
use crate::domain::metrics::row::ReportRow;
use crate::wire::Code;
use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: &mut Routes<'_>) {
    r.add(Method::GET, "/reports/agents", agents)
        .add(Method::GET, "/reports/team", team);
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The first day (`YYYY-MM-DD`) or time (RFC 3339), in the account's timezone; default:
    /// the start of this month.
    from: Option<String>,
    /// The day after the period, or its end time; default: now.
    to: Option<String>,
    /// `json` (default) or `csv` (also chosen by `Accept: text/csv`).
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
    /// `previous` adds the period of equal length just before (`/reports/team`).
    #[param(pattern = "^(none|previous)$")]
    compare: Option<String>,
}

/// `GET /reports/agents` as JSON.
#[derive(Serialize, ToSchema)]
pub struct AgentsReport {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    items: Vec<ReportRow>,
}

/// `GET /reports/team` as JSON.
#[derive(Serialize, ToSchema)]
pub struct TeamReport {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    current: ReportRow,
    sales: SalesKpis,
    /// With `compare=previous`: the period of equal length just before.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous: Option<ReportRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_from: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_to: Option<DateTime<Utc>>,
}

fn invalid(message: String) -> ApiError {
    ApiError::new(Code::InvalidInput, message)
}

fn wants_csv(req: &HttpRequest, q: &ReportQuery) -> Result<bool, ApiError> {
    match q.format.as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(invalid(format!("`{other}` is not a format (json, csv)"))),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .contains("text/csv")),
    }
}

fn csv_response(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

#[utoipa::path(get, path = "/api/v1/reports/agents", tag = "reports", params(ReportQuery),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "One row per agent (SPEC §4 metrics).", content(
            (AgentsReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn agents(
    services: web::Data<Services>,
    caller: ManagerCaller,
    req: HttpRequest,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, &q)?;
    let reported = services
        .reports
        .period(
            caller.0.account_id,
            q.from.as_deref(),
            q.to.as_deref(),
            false,
        )
        .await?;
    let report = reported.current;
    if csv {
        let rows: Vec<_> = report.agents.iter().collect();
        return Ok(csv_response(to_csv(&rows)?, "agents-report"));
    }
    Ok(HttpResponse::Ok().json(AgentsReport {
        from: report.period.from,
        to: report.period.to,
        items: report.agents,
    }))
}

#[utoipa::path(get, path = "/api/v1/reports/team", tag = "reports", params(ReportQuery),
    security(("session" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The team's row, sales, and the previous period's row.",
            content(
            (TeamReport = "application/json"),
            (String = "text/csv"),
        )),
        (status = 400, response = doc::BadRequest),
        (status = 401, response = doc::Unauthorized),
        (status = 403, response = doc::Forbidden),
        (status = 503, response = doc::Unavailable),
    ))]
pub(super) async fn team(
    services: web::Data<Services>,
    caller: ManagerCaller,
    req: HttpRequest,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, &q)?;
    let compare = match q.compare.as_deref() {
        None | Some("none") => false,
        Some("previous") => true,
        Some(other) => return Err(invalid(format!("`{other}` is not a comparison (previous)"))),
    };
    let reported = services
        .reports
        .period(
            caller.0.account_id,
            q.from.as_deref(),
            q.to.as_deref(),
            compare,
        )
        .await?;
    if csv {
        return Ok(csv_response(team_csv(&reported)?, "team-report"));
    }
    let sales = services.reports.sales(&reported).await?;
    let previous = reported.previous;
    Ok(HttpResponse::Ok().json(TeamReport {
        from: reported.current.period.from,
        to: reported.current.period.to,
        current: reported.current.team,
        sales,
        previous_from: previous.as_ref().map(|p| p.period.from),
        previous_to: previous.as_ref().map(|p| p.period.to),
        previous: previous.map(|p| p.team),
    }))
}
