//! `Body<T>`: a JSON request body whose parse error is reported only after the caller's
//! identity and role were checked, so an anonymous or unauthorised client learns nothing
//! about validation (401/403 come before 400/413). Handlers call [`Body::parsed`].

use super::error::ApiError;
use crate::wire::Code;
use actix_web::dev::{JsonBody, Payload};
use actix_web::error::JsonPayloadError;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The largest body accepted, in bytes (set once in `http::api`).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body, parsed (or refused) at most `body_limit` bytes.
pub struct Body<T>(Result<T, ApiError>);

impl<T> Body<T> {
    /// The parsed body, or the 400/413 that explains why it could not be parsed.
    pub fn parsed(self) -> Result<T, ApiError> {
        self.0
    }
}

/// Maps a body that could not be read or parsed to the error the client sees.
pub fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::new(
                Code::PayloadTooLarge,
                format!("the request body is larger than {limit} bytes"),
            )
        }
        JsonPayloadError::ContentType => ApiError::new(
            Code::UnsupportedContentType,
            "send the body as JSON with `Content-Type: application/json`",
        ),
        JsonPayloadError::Deserialize(e) => ApiError::new(Code::InvalidJson, e.to_string()),
        other => ApiError::new(Code::InvalidJson, other.to_string()),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<BodyLimit>>()
            .map_or(1 << 20, |l| l.0);
        let body = JsonBody::<T>::new(req, payload, None, true).limit(limit);
        Box::pin(async move { Ok(Body(body.await.map_err(|e| json_error(e, limit)))) })
    }
}
