//! `/reports/agents` and `/reports/team` (managers only), as JSON or CSV (`format=csv` or
//! `Accept: text/csv`). Periods are in the account's timezone; without `from`/`to` a report
//! covers this month so far, and `compare=previous` adds the period of equal length before.

use super::error::ApiError;
use super::identity::ManagerCaller;
use crate::domain::metrics::period::Period;
use crate::domain::metrics::row::{ReportRow, CSV_HEADER};
use crate::reports;
use crate::state::AppState;
use crate::store::{self, accounts::Account};
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

fn wants_csv(req: &HttpRequest, q: &ReportQuery) -> Result<bool, ApiError> {
    match q.format.as_deref() {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "`{other}` is not a format (json, csv)"
            )))
        }
        None => {}
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    Ok(accept.contains("text/csv"))
}

/// Renders rows as CSV with the SPEC §5 header (the csv writer quotes commas and quotes).
pub fn to_csv(rows: &[&ReportRow]) -> Result<String, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| ApiError::Internal(Box::new(e));
    w.write_record(CSV_HEADER).map_err(internal)?;
    for row in rows {
        w.write_record(row.csv_record()).map_err(internal)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string().into()))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(Box::new(e)))
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

/// The report of the caller's account for the query's period, with the account.
async fn build(
    state: &AppState,
    caller: &ManagerCaller,
    q: &ReportQuery,
) -> Result<(reports::Report, Account), ApiError> {
    let account = store::accounts::get(&state.pool, caller.0.account_id)
        .await?
        .ok_or(ApiError::NotFound("account"))?;
    let now = chrono::Utc::now();
    let period = Period::parse(
        q.from.as_deref(),
        q.to.as_deref(),
        account.settings.timezone,
        now,
    )
    .map_err(ApiError::invalid)?;
    let report = reports::build(
        &state.pool,
        account.id,
        account.settings.response_sla_seconds,
        period,
        now,
    )
    .await?;
    Ok((report, account))
}

async fn agents(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    req: HttpRequest,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, &q)?;
    let (report, _) = build(&state, &caller, &q).await?;
    if csv {
        return Ok(csv_response(
            to_csv(&report.agents.iter().collect::<Vec<_>>())?,
            "agents-report",
        ));
    }
    Ok(HttpResponse::Ok()
        .json(json!({"from": report.period.from, "to": report.period.to, "items": report.agents})))
}

async fn team(
    state: web::Data<AppState>,
    caller: ManagerCaller,
    req: HttpRequest,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, &q)?;
    let compare = match q.compare.as_deref() {
        None | Some("none") => false,
        Some("previous") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "`{other}` is not a comparison (previous)"
            )))
        }
    };
    let (current, account) = build(&state, &caller, &q).await?;
    let (now, sla) = (chrono::Utc::now(), account.settings.response_sla_seconds);
    let previous = if compare {
        Some(reports::build(&state.pool, account.id, sla, current.period.previous(), now).await?)
    } else {
        None
    };
    if csv {
        let mut rows = vec![&current.team];
        if let Some(p) = &previous {
            rows.push(&p.team);
        }
        return Ok(csv_response(to_csv(&rows)?, "team-report"));
    }
    let sales = reports::sales_kpis(&state.pool, &account, &current, now).await?;
    let mut body = json!({"from": current.period.from, "to": current.period.to, "current": current.team, "sales": sales});
    if let Some(p) = previous {
        body["previous"] = json!(p.team);
        body["previous_from"] = json!(p.period.from);
        body["previous_to"] = json!(p.period.to);
    }
    Ok(HttpResponse::Ok().json(body))
}
