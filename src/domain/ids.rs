//! Identifiers: `BIGINT`s in the database, strings on the wire (SPEC §5: "ids as strings", so
//! JavaScript clients never lose precision), and a distinct type each in between, so a ticket
//! id can never be passed where a user id is expected.

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// Declares an id newtype: `Copy`, ordered, hashable, shown as its number, serialised as a
/// string and read from a string or a bare number.
macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                raw.parse().map($name)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                id_from(d).map($name)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                id_schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

ids! {
    /// An operator (tenant).
    AccountId;
    /// A manager or an agent.
    UserId;
    /// A unit of work on a thread.
    TicketId;
    /// One conversation with one guest on one channel.
    ThreadId;
    /// An inbound or outbound message.
    MessageId;
    /// A guest, as a channel delivered them.
    GuestId;
    /// A listing (apartment, room, house).
    ListingId;
    /// A reservation of a listing.
    ReservationId;
    /// A reply template.
    TemplateId;
    /// An account's ingest key.
    ApiKeyId;
    /// A login session.
    SessionId;
    /// A guest's review of a stay.
    ReviewId;
    /// An internal note on a ticket.
    NoteId;
    /// A channel bridge that outbound replies are delivered to.
    ConnectionId;
    /// One webhook delivery (a reply or a test event) to one connection.
    DeliveryId;
    /// An alert raised for managers.
    AlertId;
    /// A routing group: the agents who take the tickets its rules match.
    GroupId;
    /// A to-do on a ticket.
    TodoId;
}

/// The documented form of every id: the decimal digits of a positive `BIGINT`, as a string
/// (a bare number is read too, but never sent).
fn id_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[0-9]{1,18}$"))
        .examples([serde_json::json!("42")])
        .into()
}

/// Reads an id given as a JSON string (the wire form) or a bare number.
fn id_from<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(i64),
    }
    match Raw::deserialize(d)? {
        Raw::Number(n) => Ok(n),
        Raw::Text(t) => t
            .parse()
            .map_err(|_| de::Error::custom(format!("`{t}` is not a valid id"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Row {
        id: TicketId,
        #[serde(default)]
        other: Option<UserId>,
    }

    #[test]
    fn ids_travel_as_strings_and_accept_numbers() {
        let row = Row {
            id: TicketId(9_007_199_254_740_993),
            other: None,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(json, r#"{"id":"9007199254740993","other":null}"#);
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
        let from_number: Row = serde_json::from_str(r#"{"id":12,"other":"7"}"#).unwrap();
        assert_eq!(
            from_number,
            Row {
                id: TicketId(12),
                other: Some(UserId(7))
            }
        );
        assert!(serde_json::from_str::<Row>(r#"{"id":"x"}"#).is_err());
        assert_eq!("44".parse::<TicketId>(), Ok(TicketId(44)));
    }
}
