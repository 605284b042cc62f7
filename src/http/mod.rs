//! Thin actix-web handlers: parse input, call one thing in `app/`, map the result (SPEC §5).
//! The only place that knows HTTP: statuses come from the error-code table through
//! [`error::ApiError`].
//!
//! Every endpoint lives under `/api/v1`. Each submodule registers its own routes through a
//! `routes` function so capabilities stay apart, and through [`Routes`], which keeps the table
//! of what is served so the OpenAPI document (`openapi`) can be checked against it.

pub mod account;
pub mod agents;
pub mod alerts;
pub mod auth;
pub mod body;
pub mod error;
pub mod follow_ups;
pub mod groups;
pub mod guests;
pub mod identity;
pub mod ingest;
pub mod listings;
pub mod metrics;
pub mod notes;
pub mod openapi;
pub mod ops;
pub mod origin;
pub mod outbound;
pub mod reports;
pub mod responses;
pub mod reviews;
pub mod templates;
pub mod tickets;
pub mod todos;
pub mod wallboard;
pub mod work;
pub mod ws;

use crate::wire::Code;
use actix_web::error::{PathError, QueryPayloadError};
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpRequest, Responder};
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
            web::scope(PREFIX)
                .wrap(actix_web::middleware::from_fn(metrics::record_request))
                .configure(|cfg| {
                    endpoints(&mut Routes::new(cfg));
                })
                .default_service(web::to(not_found)),
        );
}

/// Where the API lives.
const PREFIX: &str = "/api/v1";

/// Every endpoint, by capability. The router tries routes in this order and matches each
/// path with a parameter by regular expression, so the busiest come first: guest messages
/// and delivery reports from the bridges, the agents' ticket actions, and sockets. (No two
/// capabilities serve overlapping paths, so the order changes nothing else.)
fn endpoints(r: &mut Routes<'_>) {
    ingest::routes(r);
    outbound::routes(r);
    tickets::routes(r);
    ws::routes(r);
    work::routes(r);
    openapi::routes(r);
    ops::routes(r);
    auth::routes(r);
    account::routes(r);
    agents::routes(r);
    groups::routes(r);
    alerts::routes(r);
    reviews::routes(r);
    notes::routes(r);
    todos::routes(r);
    follow_ups::routes(r);
    listings::routes(r);
    guests::routes(r);
    reports::routes(r);
    templates::routes(r);
    wallboard::routes(r);
}

/// Registers routes under `/api/v1` and remembers each method and path it served.
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    served: Vec<(Method, &'static str)>,
}

impl<'a> Routes<'a> {
    fn new(cfg: &'a mut web::ServiceConfig) -> Routes<'a> {
        Routes {
            cfg,
            served: Vec::new(),
        }
    }

    /// Serves `handler` for `method` on `path` (relative to `/api/v1`).
    pub fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.cfg
            .route(path, web::method(method.clone()).to(handler));
        self.served.push((method, path));
        self
    }
}

/// Every `(method, full path)` the API serves, as registered.
pub fn served_routes() -> Vec<(Method, String)> {
    let mut served = Vec::new();
    let _app = actix_web::App::new().configure(|cfg| {
        let mut routes = Routes::new(cfg);
        endpoints(&mut routes);
        served = routes.served;
    });
    served
        .into_iter()
        .map(|(method, path)| (method, format!("{PREFIX}{path}")))
        .collect()
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
