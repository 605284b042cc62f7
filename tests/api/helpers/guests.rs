//! Realistic guest traffic for ingest.

use serde_json::{json, Value};

/// A first guest message on a new thread (`thread-{guest}`), with an inquiry reservation
/// (`r-{guest}`) for listing `l-1`.
pub fn inquiry(guest: &str, message_id: &str) -> Value {
    json!({
        "channel": "airbnb",
        "thread_external_id": format!("thread-{guest}"),
        "message_external_id": message_id,
        "body": format!("Hi, is the flat free next week? — {guest}"),
        "sent_at": chrono::Utc::now().to_rfc3339(),
        "guest": {"external_id": format!("g-{guest}"), "name": guest, "language": "en"},
        "reservation": {"external_id": format!("r-{guest}"), "status": "inquiry", "listing_external_id": "l-1", "listing_name": "Alfama Loft"}
    })
}
