//! Structured logging through `tracing`, filtered by `RUST_LOG` (default `info`), and the span
//! every request runs in. Secrets never reach the log: a `token` in a query string (the
//! socket's `?token=`) is written as `REDACTED`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls (several test apps) are no-ops.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}

/// The request's path and query with the value of every `token` parameter replaced.
pub fn redacted_target(path: &str, query: &str) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("token") => format!("{key}=REDACTED"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{path}?{}", query.join("&"))
}

/// The root span of every request: method, route, the redacted target, the client and the
/// request id; the outcome is recorded as `tracing-actix-web` does.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".into());
        let info = request.connection_info().clone();
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %redacted_target(request.path(), request.query_string()),
            http.client_ip = %info.realip_remote_addr().unwrap_or(""),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_target;

    #[test]
    fn tokens_never_reach_the_log() {
        assert_eq!(
            redacted_target("/api/v1/ws", "token=sbs_secret&last_seq=4"),
            "/api/v1/ws?token=REDACTED&last_seq=4"
        );
        assert_eq!(
            redacted_target("/api/v1/ws", "last_seq=4&TOKEN=x"),
            "/api/v1/ws?last_seq=4&TOKEN=REDACTED"
        );
        assert_eq!(redacted_target("/api/v1/me", ""), "/api/v1/me");
    }
}
