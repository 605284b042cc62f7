//! Thin actix-web handlers: parse input, call one thing, map the result (SPEC §5).
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
pub mod reports;
pub mod templates;
pub mod tickets;
pub mod users;
pub mod wallboard;
pub mod work;
pub mod ws;

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};
use error::ApiError;

/// Registers the whole `/api/v1` surface.
pub fn api(cfg: &mut web::ServiceConfig, body_limit: usize) {
    cfg.app_data(json_config(body_limit))
        .app_data(web::PayloadConfig::new(body_limit))
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(
            web::scope("/api/v1")
                .route("/healthz", web::get().to(ops::healthz))
                .route("/readyz", web::get().to(ops::readyz))
                .route("/auth/login", web::post().to(auth::login))
                .route("/auth/logout", web::post().to(auth::logout))
                .route("/me", web::get().to(auth::me))
                .route("/account", web::get().to(account::get))
                .route("/account", web::patch().to(account::patch))
                .route("/api-keys", web::post().to(account::create_api_key))
                .configure(agents::routes)
                .configure(ingest::routes)
                .configure(reports::routes)
                .configure(templates::routes)
                .configure(tickets::routes)
                .configure(wallboard::routes)
                .configure(work::routes)
                .configure(ws::routes)
                .default_service(web::to(not_found)),
        );
}

/// JSON bodies: at most `limit` bytes; malformed input is a 400 that says what is wrong.
fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| body::json_error(err, limit).into())
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest {
        code: "invalid_query",
        message: err.to_string(),
    }
    .into()
}

/// A path id that cannot be parsed cannot exist.
fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound("resource").into()
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound("endpoint"))
}
