//! The one error type of the HTTP boundary: a [`Code`] from the table in `wire::code` (which
//! gives its status), a sentence for people, and the cause, logged with its whole chain and
//! never shown when the code is `internal` or `unavailable`.

use crate::wire::{Code, ErrorCode};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer (SPEC §5), the same for every endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a code to branch on and a sentence for people.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: Code,
    pub message: String,
    /// What else a refusal tells the client to act on (`card_mismatch`: `mismatches`).
    #[serde(flatten)]
    #[schema(ignore)]
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Everything a handler can answer instead of success.
#[derive(Debug)]
pub struct ApiError {
    code: Code,
    message: String,
    details: Option<serde_json::Map<String, serde_json::Value>>,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// An error the HTTP layer itself finds (a body, a query, a path).
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            details: None,
            cause: None,
        }
    }

    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> Code {
        self.code
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl<E: ErrorCode + Send + Sync + 'static> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError {
            code: e.code(),
            message: e.to_string(),
            details: e.details(),
            cause: Some(Box::new(e)),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let chain = match self.cause.as_deref() {
            Some(cause) => error_chain(cause),
            None => self.message.clone(),
        };
        match self.code {
            Code::Internal => tracing::error!(error = %chain, "request failed"),
            Code::Unavailable => tracing::warn!(error = %chain, "dependency unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        if matches!(self.code, Code::RateLimited | Code::Unavailable) {
            res.insert_header(("Retry-After", "5"));
        }
        res.json(ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message.clone(),
                details: self.details.clone().unwrap_or_default(),
            },
        })
    }
}

fn error_chain(e: &(dyn std::error::Error + Send + Sync + 'static)) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}
