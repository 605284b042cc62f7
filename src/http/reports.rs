//! `/reports/agents` and `/reports/team` (managers only), as JSON or CSV (`format=csv` or
//! `Accept: text/csv`). Periods are in the account's timezone; without `from`/`to` a report
//! covers this month so far, and `compare=previous` adds the period of equal length before.

use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::app::reports::to_csv;
use crate::app::Services;
use crate::wire::Code;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports/agents", web::get().to(agents))
        .route("/reports/team", web::get().to(team));
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
    compare: Option<String>,
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

async fn agents(
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
    Ok(HttpResponse::Ok()
        .json(json!({"from": report.period.from, "to": report.period.to, "items": report.agents})))
}

async fn team(
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
        let mut rows = vec![&reported.current.team];
        rows.extend(reported.previous.as_ref().map(|p| &p.team));
        return Ok(csv_response(to_csv(&rows)?, "team-report"));
    }
    let sales = services.reports.sales(&reported).await?;
    let current = &reported.current;
    let mut body = json!({"from": current.period.from, "to": current.period.to, "current": current.team, "sales": sales});
    if let Some(p) = &reported.previous {
        body["previous"] = json!(p.team);
        body["previous_from"] = json!(p.period.from);
        body["previous_to"] = json!(p.period.to);
    }
    Ok(HttpResponse::Ok().json(body))
}
