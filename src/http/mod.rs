//! Thin actix-web handlers: parse input, call one thing in `app/`, map the result (SPEC §5).
//! The only place that knows HTTP: statuses come from the error-code table through
//! [`error::ApiError`].
//!
//! Every endpoint lives under `/api/v1`. Each submodule registers its own routes through a
//! `routes` function so capabilities stay apart.

pub mod account;
pub mod agents;
pub mod auth;
pub mod body;
pub mod error;
pub mod identity;
pub mod ingest;
pub mod ops;
pub mod origin;
pub mod outbound;
pub mod reports;
pub mod templates;
pub mod tickets;
pub mod wallboard;
pub mod work;
pub mod ws;

use crate::wire::Code;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};
use body::BodyLimit;
use error::ApiError;

/// Registers the whole `/api/v1` surface.
pub fn api(cfg: &mut web::ServiceConfig, body_limit: usize, origins: origin::OriginPolicy) {
    cfg.app_data(json_config(body_limit))
        .app_data(web::Data::new(origins))
        .app_data(web::Data::new(BodyLimit(body_limit)))
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(
            web::scope("/api/v1")
                .configure(ops::routes)
                .configure(auth::routes)
                .configure(account::routes)
                .configure(agents::routes)
                .configure(ingest::routes)
                .configure(outbound::routes)
                .configure(reports::routes)
                .configure(templates::routes)
                .configure(tickets::routes)
                .configure(wallboard::routes)
                .configure(work::routes)
                .configure(ws::routes)
                .default_service(web::to(not_found)),
        );
}

/// The headers every answer carries, the app's pages and the API alike: scripts only from our
/// own files (no inline script), never framed, no MIME sniffing, no referrer to other sites.
pub fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
             form-action 'self'; frame-ancestors 'none'",
        ))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
}

/// JSON bodies: at most `limit` bytes; malformed input is a 400 that says what is wrong.
fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| body::json_error(err, limit).into())
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(Code::InvalidQuery, err.to_string()).into()
}

/// A path id that cannot be parsed cannot exist.
fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::new(Code::NotFound, "resource not found").into()
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(Code::NotFound, "endpoint not found"))
}
