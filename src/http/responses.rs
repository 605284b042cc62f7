//! The reusable error responses of the OpenAPI document, one per status: each has the one
//! error body, [`ErrorBody`], and says which codes the status carries. Handlers name them in
//! their `#[utoipa::path]` annotations; the document (`openapi`) lists them as components.

use super::error::ErrorBody;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{PartialSchema, ToSchema};

/// Declares a reusable error response per status: the shared body, and what the status means.
macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident = $description:literal $(, retry_after = $retry:literal)?;)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl<'s> utoipa::ToResponse<'s> for $name {
            fn response() -> (&'s str, RefOr<Response>) {
                #[allow(unused_mut)]
                let mut response = ResponseBuilder::new().description($description).content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name(ErrorBody::name())))
                        .build(),
                );
                $(
                    response = response.header(
                        "Retry-After",
                        utoipa::openapi::header::HeaderBuilder::new()
                            .schema(String::schema())
                            .description(Some($retry))
                            .build(),
                    );
                )?
                (stringify!($name), response.build().into())
            }
        }
    )*};
}

error_responses! {
    /// 400.
    BadRequest = "The input is malformed (`invalid_json`, `invalid_input`, `invalid_query`, \
                  `invalid_cursor`, `unsupported_content_type`, `unknown_group`); nothing changed.";
    /// 401.
    Unauthorized = "No valid session, token or key (`unauthorized`).";
    /// 403.
    Forbidden = "The role or the ticket's assignee does not allow it, or a change \
                 authenticated by the cookie came from another site (`forbidden`).";
    /// 404.
    NotFound = "Nothing by that id in the caller's account (`not_found`).";
    /// 409.
    Conflict = "It clashes with something that exists (`conflict`, `card_mismatch`, \
                `group_in_use`, `coverage_floor`); nothing changed.";
    /// 413.
    PayloadTooLarge = "The body is larger than the limit (`payload_too_large`).";
    /// 422.
    InvalidState = "The change is not possible in the ticket's current state \
                    (`invalid_state`).";
    /// 429.
    RateLimited = "Too many requests (`rate_limited`).", retry_after = "Seconds to wait.";
    /// 503.
    Unavailable = "A dependency is unavailable; retry (`unavailable`).",
        retry_after = "Seconds to wait.";
}
