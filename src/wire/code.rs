//! Every error code a client can be told, each declared once with its HTTP status (SPEC §5:
//! `{"error": {"code", "message"}}`). Application errors say which code they are; the HTTP
//! layer answers with the code's status and socket frames carry the same names. The whole
//! list of what can go wrong is this one table.

/// Declares the codes: variant, wire name, HTTP status.
macro_rules! codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal, $status:literal;)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$doc])* $variant,)*
        }

        impl Code {
            /// Every code, in table order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The snake_case name clients branch on.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The HTTP status this code is answered with.
            pub fn http_status(self) -> u16 {
                match self {
                    $(Code::$variant => $status,)*
                }
            }
        }
    };
}

codes! {
    /// A field is missing, malformed or out of range.
    InvalidInput = "invalid_input", 400;
    /// A live message's `sent_at` lies more than seven days before its receipt (a backfill
    /// says `history: true`).
    SentAtOutOfRange = "sent_at_out_of_range", 400;
    /// A query parameter is malformed.
    InvalidQuery = "invalid_query", 400;
    /// A list cursor this API did not give out.
    InvalidCursor = "invalid_cursor", 400;
    /// The body is not the JSON the endpoint takes.
    InvalidJson = "invalid_json", 400;
    /// The body is not sent as `application/json`.
    UnsupportedContentType = "unsupported_content_type", 400;
    /// A delivery URL that is not http(s), or points at a loopback, private or link-local
    /// address while `SWITCHBOARD_DELIVERY_ALLOW_PRIVATE` is off.
    DeliveryUrlRefused = "delivery_url_refused", 400;
    /// A socket frame that could not be used.
    InvalidFrame = "invalid_frame", 400;
    /// A review score is missing, not a whole number, or outside 1–5.
    InvalidScore = "invalid_score", 400;
    /// A text (a review's, a note's) is longer than allowed.
    TextTooLong = "text_too_long", 400;
    /// A review names a reservation the account does not have on that channel.
    UnknownReservation = "unknown_reservation", 400;
    /// An agent card or a group's overflow names a routing group the account does not have.
    UnknownGroup = "unknown_group", 400;
    /// A to-do's `kind` is not refund, follow_up or task.
    UnknownTodoKind = "unknown_todo_kind", 400;
    /// A mood is not a whole number from 1 to 5.
    InvalidMood = "invalid_mood", 400;
    /// No valid session, token or key.
    Unauthorized = "unauthorized", 401;
    /// Signed in, but the role (or the ticket's assignee) does not allow it.
    Forbidden = "forbidden", 403;
    /// Nothing by that id in the caller's account (another account's ids look missing too).
    NotFound = "not_found", 404;
    /// It clashes with something that exists.
    Conflict = "conflict", 409;
    /// A manager's assignment to an agent whose card does not take the ticket (the error says
    /// what does not match; `force: true` assigns anyway).
    CardMismatch = "card_mismatch", 409;
    /// A routing group other groups overflow to cannot be deleted (the error lists them).
    GroupInUse = "group_in_use", 409;
    /// Pausing intake or stopping the timer would leave a routing group with fewer working
    /// agents than its `min_agents` (the error names the group); a manager may do it.
    CoverageFloor = "coverage_floor", 409;
    /// The body is larger than the limit.
    PayloadTooLarge = "payload_too_large", 413;
    /// The change is not possible in the current state.
    InvalidState = "invalid_state", 422;
    /// Too many requests; try again later.
    RateLimited = "rate_limited", 429;
    /// A bug or an unexpected failure; the details are only in the logs.
    Internal = "internal", 500;
    /// A dependency (PostgreSQL, the dispatcher) is unavailable; retry.
    Unavailable = "unavailable", 503;
}

/// Sent as its name.
impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Documented as the closed list of names in this table, so the OpenAPI document lists
/// exactly the codes the server can send.
impl utoipa::PartialSchema for Code {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Code::ALL.iter().map(|c| c.as_str())))
            .description(Some("A stable, machine-readable error code."))
            .into()
    }
}

impl utoipa::ToSchema for Code {
    fn name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }
}

/// An error that tells clients which [`Code`] it is.
pub trait ErrorCode: std::error::Error {
    fn code(&self) -> Code;

    /// Fields the error body carries beside `code` and `message`, for a client to act on
    /// (what did not match, say).
    fn details(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_its_own_name_and_an_error_status() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
        assert!(Code::ALL
            .iter()
            .all(|c| (400..600).contains(&c.http_status())));
    }
}
