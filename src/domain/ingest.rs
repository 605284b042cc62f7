//! What the channels deliver (SPEC §5 ingest bodies), parsed once at the edge into values
//! that are always valid: bounded text, known channels and statuses, sane times and prices.

use super::card::normalize_language;
use super::channel::Channel;
use super::stage::{ReservationStatus, StayFacts};
use super::time_range;
use super::todo::Mood;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;

/// The longest external id accepted, in characters.
pub(crate) const MAX_ID: usize = 200;
const MAX_NAME: usize = 200;
/// The longest message body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// How far before its receipt a live message may have been sent. Older ones are a bridge
/// replaying its backlog: counted as live they would open tickets nobody can answer in time
/// and turn response times into years, so they must say `history: true`.
pub const LIVE_WINDOW_DAYS: i64 = 7;

/// `POST /ingest/messages` as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    /// A channel slug (folded to lowercase).
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,32}$", example = "airbnb")]
    pub channel: String,
    pub thread_external_id: String,
    pub message_external_id: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    pub guest: GuestBody,
    #[serde(default)]
    pub reservation: Option<StayBody>,
    /// A backfilled message: stored in its thread, opening no ticket and counting nowhere.
    #[serde(default)]
    pub history: bool,
    /// The channel's inbound address the guest wrote to (the number dialled, the mailbox),
    /// when the bridge knows it: routing groups match on it. Folded to lowercase without spaces.
    #[serde(default)]
    #[schema(example = "+34 600 000 000")]
    pub entry_point: Option<String>,
    /// The guest's mood as the bridge judges it, 1–5: it replaces the ticket's mood (the
    /// latest set wins), recorded as set by the bridge.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub mood: Option<i64>,
}

/// A guest as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestBody {
    pub external_id: String,
    pub name: String,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// A reservation as sent inside a message (no channel: the message's).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StayBody {
    pub external_id: String,
    #[schema(value_type = ReservationStatus)]
    pub status: String,
    pub listing_external_id: String,
    #[serde(default)]
    pub listing_name: Option<String>,
    #[serde(default)]
    pub check_in: Option<NaiveDate>,
    #[serde(default)]
    pub check_out: Option<NaiveDate>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000000000.0)]
    pub total_price: Option<f64>,
    /// An ISO 4217 code such as `EUR`.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    #[serde(default)]
    pub payment_status: Option<String>,
}

/// `POST /ingest/reservations` as sent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReservationBody {
    /// A channel slug (folded to lowercase).
    #[schema(pattern = "^[A-Za-z0-9_.-]{1,32}$", example = "airbnb")]
    pub channel: String,
    pub external_id: String,
    #[schema(value_type = ReservationStatus)]
    pub status: String,
    pub listing_external_id: String,
    #[serde(default)]
    pub listing_name: Option<String>,
    #[serde(default)]
    pub check_in: Option<NaiveDate>,
    #[serde(default)]
    pub check_out: Option<NaiveDate>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000000000.0)]
    pub total_price: Option<f64>,
    /// An ISO 4217 code such as `EUR`.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z]{3}$")]
    pub currency: Option<String>,
    #[serde(default)]
    pub payment_status: Option<String>,
    #[serde(default)]
    pub guest: Option<GuestRefBody>,
}

/// A guest reference inside a reservation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestRefBody {
    pub external_id: String,
    pub name: String,
}

/// A validated guest.
#[derive(Debug, Clone, PartialEq)]
pub struct Guest {
    pub external_id: String,
    pub name: String,
    pub language: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A validated reservation.
#[derive(Debug, Clone, PartialEq)]
pub struct Stay {
    pub channel: Channel,
    pub external_id: String,
    pub status: ReservationStatus,
    pub listing_external_id: String,
    pub listing_name: Option<String>,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
    pub total_price_cents: Option<i64>,
    pub currency: Option<String>,
    pub payment_status: Option<String>,
    pub guest: Option<Guest>,
}

impl Stay {
    /// What stage derivation needs.
    pub fn facts(&self) -> StayFacts {
        StayFacts {
            status: self.status,
            check_in: self.check_in,
            check_out: self.check_out,
        }
    }
}

/// A validated inbound guest message.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub channel: Channel,
    pub thread_external_id: String,
    pub message_external_id: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
    pub guest: Guest,
    pub reservation: Option<Stay>,
    /// Stored in the thread only: no ticket, no event, no metric.
    pub history: bool,
    /// The inbound address, normalised ([`normalize_entry_point`]).
    pub entry_point: Option<String>,
    /// The bridge's reading of the guest's mood.
    pub mood: Option<Mood>,
}

/// Why a message body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageRefusal {
    /// A field is missing, malformed or out of range; the text names it.
    Invalid(String),
    /// `sent_at` lies more than [`LIVE_WINDOW_DAYS`] before receipt and `history` is not set.
    SentAtOutOfRange,
}

impl From<String> for MessageRefusal {
    fn from(reason: String) -> MessageRefusal {
        MessageRefusal::Invalid(reason)
    }
}

/// The longest entry point accepted, in characters (an e-mail address is at most 254).
pub const MAX_ENTRY_POINT: usize = 254;

/// The channel's inbound address as written (`+34 600 000 000`, `Resorts@Example.com`),
/// folded so the same address always compares equal: trimmed, lowercase, inner spaces removed.
pub fn normalize_entry_point(raw: &str) -> Result<String, String> {
    let folded: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ' ')
        .flat_map(char::to_lowercase)
        .collect();
    text("entry_point", &folded, MAX_ENTRY_POINT)
}

/// `raw` trimmed: not empty, at most `max` characters, no control characters.
pub(crate) fn text(field: &str, raw: &str, max: usize) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(format!("`{field}` must not be empty"));
    }
    if value.chars().count() > max {
        return Err(format!("`{field}` must have at most {max} characters"));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(format!("`{field}` must not contain control characters"));
    }
    Ok(value.to_string())
}

fn optional(field: &str, raw: Option<&String>, max: usize) -> Result<Option<String>, String> {
    match raw.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        Some(v) => text(field, v, max).map(Some),
        None => Ok(None),
    }
}

/// Converts a price in currency units to cents; refuses negative, non-finite or absurd values.
pub fn price_to_cents(price: f64) -> Result<i64, String> {
    if !price.is_finite() || !(0.0..=1.0e11).contains(&price) {
        return Err("`total_price` must be a number between 0 and 100000000000".into());
    }
    Ok((price * 100.0).round() as i64)
}

fn currency(raw: Option<&String>) -> Result<Option<String>, String> {
    match raw
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
    {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Ok(Some(c)),
        Some(c) => Err(format!(
            "`{c}` is not an ISO 4217 currency code such as EUR"
        )),
        None => Ok(None),
    }
}

impl Guest {
    fn parse(g: &GuestBody) -> Result<Guest, String> {
        Ok(Guest {
            external_id: text("guest.external_id", &g.external_id, MAX_ID)?,
            name: text("guest.name", &g.name, MAX_NAME)?,
            language: g
                .language
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(normalize_language)
                .transpose()?,
            email: optional("guest.email", g.email.as_ref(), 254)?,
            phone: optional("guest.phone", g.phone.as_ref(), 40)?,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn stay(
    channel: Channel,
    external_id: &str,
    status: &str,
    listing_external_id: &str,
    listing_name: Option<&String>,
    check_in: Option<NaiveDate>,
    check_out: Option<NaiveDate>,
    total_price: Option<f64>,
    currency_code: Option<&String>,
    payment_status: Option<&String>,
    guest: Option<Guest>,
) -> Result<Stay, String> {
    let check_in = check_in
        .map(|d| time_range::date("check_in", d))
        .transpose()?;
    let check_out = check_out
        .map(|d| time_range::date("check_out", d))
        .transpose()?;
    if let (Some(i), Some(o)) = (check_in, check_out) {
        if o < i {
            return Err("`check_out` must not be before `check_in`".into());
        }
    }
    Ok(Stay {
        channel,
        external_id: text("reservation.external_id", external_id, MAX_ID)?,
        status: ReservationStatus::parse(status)?,
        listing_external_id: text("listing_external_id", listing_external_id, MAX_ID)?,
        listing_name: optional("listing_name", listing_name, MAX_NAME)?,
        check_in,
        check_out,
        total_price_cents: total_price.map(price_to_cents).transpose()?,
        currency: currency(currency_code)?,
        payment_status: optional("payment_status", payment_status, 40)?,
        guest,
    })
}

impl InboundMessage {
    /// Validates a message body received at `now`. A `sent_at` more than five minutes in the
    /// future is a clock error on the sender's side; one more than [`LIVE_WINDOW_DAYS`] in the
    /// past is refused unless the message is `history`.
    pub fn parse(raw: &MessageBody, now: DateTime<Utc>) -> Result<InboundMessage, MessageRefusal> {
        let channel = Channel::parse(&raw.channel)?;
        if raw.body.len() > MAX_BODY {
            return Err(format!("`body` must be at most {MAX_BODY} bytes").into());
        }
        if raw.body.trim().is_empty() {
            return Err(MessageRefusal::Invalid("`body` must not be empty".into()));
        }
        if raw.sent_at > now + Duration::minutes(5) {
            return Err(MessageRefusal::Invalid("`sent_at` is in the future".into()));
        }
        if !raw.history && raw.sent_at < now - Duration::days(LIVE_WINDOW_DAYS) {
            return Err(MessageRefusal::SentAtOutOfRange);
        }
        let sent_at = time_range::time("sent_at", raw.sent_at)?;
        let guest = Guest::parse(&raw.guest)?;
        let reservation = raw
            .reservation
            .as_ref()
            .map(|r| {
                stay(
                    channel.clone(),
                    &r.external_id,
                    &r.status,
                    &r.listing_external_id,
                    r.listing_name.as_ref(),
                    r.check_in,
                    r.check_out,
                    r.total_price,
                    r.currency.as_ref(),
                    r.payment_status.as_ref(),
                    Some(guest.clone()),
                )
            })
            .transpose()?;
        Ok(InboundMessage {
            thread_external_id: text("thread_external_id", &raw.thread_external_id, MAX_ID)?,
            message_external_id: text("message_external_id", &raw.message_external_id, MAX_ID)?,
            body: raw.body.clone(),
            sent_at,
            channel,
            guest,
            reservation,
            history: raw.history,
            entry_point: raw
                .entry_point
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(normalize_entry_point)
                .transpose()?,
            mood: raw
                .mood
                .map(Mood::parse)
                .transpose()
                .map_err(|e| e.to_string())?,
        })
    }
}

impl Stay {
    /// Validates a reservation body.
    pub fn parse(raw: &ReservationBody) -> Result<Stay, String> {
        let guest = raw
            .guest
            .as_ref()
            .map(|g| {
                Ok::<_, String>(Guest {
                    external_id: text("guest.external_id", &g.external_id, MAX_ID)?,
                    name: text("guest.name", &g.name, MAX_NAME)?,
                    language: None,
                    email: None,
                    phone: None,
                })
            })
            .transpose()?;
        stay(
            Channel::parse(&raw.channel)?,
            &raw.external_id,
            &raw.status,
            &raw.listing_external_id,
            raw.listing_name.as_ref(),
            raw.check_in,
            raw.check_out,
            raw.total_price,
            raw.currency.as_ref(),
            raw.payment_status.as_ref(),
            guest,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(extra: serde_json::Value) -> MessageBody {
        let mut base = json!({
            "channel": "Airbnb", "thread_external_id": "t1", "message_external_id": "m1",
            "body": "Hello", "sent_at": "2026-05-01T10:00:00Z",
            "guest": {"external_id": "g1", "name": " Ana ", "language": "PT"},
            "reservation": {"external_id": "r1", "status": "inquiry", "listing_external_id": "l1", "total_price": 120.5, "currency": "eur"}
        });
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-05-01T10:01:00Z".parse().unwrap()
    }

    #[test]
    fn a_good_message_is_normalised() {
        let m = InboundMessage::parse(&body(json!({})), now()).unwrap();
        assert_eq!(m.channel.as_str(), "airbnb");
        assert_eq!(m.guest.name, "Ana");
        assert_eq!(m.guest.language.as_deref(), Some("pt"));
        let r = m.reservation.unwrap();
        assert_eq!(r.total_price_cents, Some(12050));
        assert_eq!(r.currency.as_deref(), Some("EUR"));
        assert_eq!(m.entry_point, None);
        let line = InboundMessage::parse(&body(json!({"entry_point": " +34 600 1 "})), now());
        assert_eq!(line.unwrap().entry_point.as_deref(), Some("+346001"));
    }

    #[test]
    fn bad_messages_are_refused_with_the_field_named() {
        for (extra, needle) in [
            (json!({"channel": "no way"}), "channel"),
            (json!({"body": "  "}), "body"),
            (json!({"sent_at": "2026-05-01T11:00:00Z"}), "future"),
            (
                json!({"thread_external_id": "x".repeat(201)}),
                "thread_external_id",
            ),
            (
                json!({"guest": {"external_id": "g", "name": ""}}),
                "guest.name",
            ),
            (
                json!({"reservation": {"external_id": "r", "status": "maybe", "listing_external_id": "l"}}),
                "reservation status",
            ),
            (
                json!({"reservation": {"external_id": "r", "status": "inquiry", "listing_external_id": "l", "total_price": -1}}),
                "total_price",
            ),
            (
                json!({"reservation": {"external_id": "r", "status": "confirmed", "listing_external_id": "l", "check_in": "2026-05-03", "check_out": "2026-05-02"}}),
                "check_out",
            ),
            (
                json!({"reservation": {"external_id": "r", "status": "confirmed", "listing_external_id": "l", "check_in": "-5000-05-03"}}),
                "check_in",
            ),
            (
                json!({"sent_at": "-5000-05-01T10:00:00Z", "history": true}),
                "sent_at",
            ),
        ] {
            let err = InboundMessage::parse(&body(extra.clone()), now()).unwrap_err();
            let MessageRefusal::Invalid(err) = err else {
                panic!("{extra}: {err:?}")
            };
            assert!(err.contains(needle), "{extra}: {err}");
        }
        let long = body(json!({"entry_point": "x".repeat(300)}));
        assert!(InboundMessage::parse(&long, now()).is_err());
        let huge = body(json!({"body": "x".repeat(MAX_BODY + 1)}));
        assert!(InboundMessage::parse(&huge, now()).is_err());
    }

    #[test]
    fn an_old_message_is_refused_unless_it_is_history() {
        let old = json!({"sent_at": "2026-04-23T10:00:00Z"});
        assert_eq!(
            InboundMessage::parse(&body(old), now()),
            Err(MessageRefusal::SentAtOutOfRange)
        );
        let week = json!({"sent_at": "2026-04-24T10:02:00Z"});
        assert!(InboundMessage::parse(&body(week), now()).is_ok());
        let backfill = json!({"sent_at": "2001-04-23T10:00:00Z", "history": true});
        let m = InboundMessage::parse(&body(backfill), now()).unwrap();
        assert!(m.history);
    }
}
