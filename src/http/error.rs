//! The one error type of the HTTP boundary. Each variant maps to a status and a stable
//! snake_case `code` (SPEC §5); internal causes are logged with their chain, never shown.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

/// Everything a handler can answer instead of success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the input is malformed or out of range.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// 401: no valid session, token or key.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: signed in, but the role may not do this.
    #[error("this needs the manager role")]
    Forbidden,
    /// 403: the ticket belongs to another agent.
    #[error("this ticket is assigned to someone else")]
    NotYours,
    /// 404: no such thing in the caller's account (another account's ids look missing too).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: it clashes with something that exists.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is larger than the limit.
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// 422: the change is not possible in the current state.
    #[error("{0}")]
    InvalidState(String),
    /// 429: too many requests; try again later.
    #[error("too many requests, try again in a minute")]
    RateLimited,
    /// 503: a dependency (PostgreSQL) is down; the caller should retry.
    #[error("the service is temporarily unavailable, try again")]
    Unavailable(String),
    /// 500: a bug or an unexpected failure; details only in the logs.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// A 400 with the generic `invalid_input` code.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code: "invalid_input",
            message: message.into(),
        }
    }

    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { code, .. } => code,
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden | ApiError::NotYours => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::InvalidState(_) => "invalid_state",
            ApiError::RateLimited => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> ApiError {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ApiError::Unavailable(e.to_string())
            }
            other => ApiError::Internal(Box::new(other)),
        }
    }
}

impl From<crate::domain::ticket::InvalidTransition> for ApiError {
    fn from(e: crate::domain::ticket::InvalidTransition) -> ApiError {
        ApiError::InvalidState(e.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::NotYours => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::InvalidState(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(e) = self {
            tracing::error!(error = %error_chain(e.as_ref()), "request failed");
        } else if let ApiError::Unavailable(e) = self {
            tracing::warn!(error = %e, "dependency unavailable");
        }
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self, ApiError::RateLimited | ApiError::Unavailable(_)) {
            res.insert_header(("Retry-After", "5"));
        }
        res.json(json!({"error": {"code": self.code(), "message": self.to_string()}}))
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
