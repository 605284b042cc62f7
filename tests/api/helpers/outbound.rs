//! The outbound endpoints (SPEC §9): channel connections, delivery reports, the pull feed and
//! a reply's retry; and replies sent the way an agent sends them.

use super::endpoints::Call;
use super::{inquiry, LiveAgent, Receiver, Session, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// A reply an agent sent.
#[derive(Debug, Clone)]
pub struct SentReply {
    pub ticket_id: String,
    pub message_id: String,
}

impl TestApp {
    pub fn create_connection(&self, user: &Session, body: &Value) -> Call {
        self.post("/connections", user, body)
    }

    pub fn connections(&self, user: &Session) -> Call {
        self.get("/connections", user)
    }

    pub fn update_connection(&self, user: &Session, id: &str, patch: &Value) -> Call {
        self.patch(&format!("/connections/{id}"), user, patch)
    }

    pub fn delete_connection(&self, user: &Session, id: &str) -> Call {
        self.call(Method::DELETE, &format!("/connections/{id}"), user)
    }

    pub fn test_connection(&self, user: &Session, id: &str) -> Call {
        self.post(&format!("/connections/{id}/test"), user, &json!({}))
    }

    pub fn connection_deliveries(&self, user: &Session, id: &str) -> Call {
        self.get(&format!("/connections/{id}/deliveries"), user)
    }

    /// `POST /ingest/deliveries` with API key `key`.
    pub fn report_delivery(&self, key: &str, body: &Value) -> Call {
        self.post("/ingest/deliveries", &Session::bearer(key), body)
    }

    /// `GET /outbound` with API key `key` and query parameters such as `("after", "12")`.
    pub fn outbound_feed(&self, key: &str, query: &[(&str, &str)]) -> Call {
        self.get_query("/outbound", &Session::bearer(key), query)
    }

    pub fn retry_message(&self, user: &Session, message_id: &str) -> Call {
        self.post(&format!("/messages/{message_id}/retry"), user, &json!({}))
    }

    /// A connection of the main account to `url` for every channel, made by the manager;
    /// answers its id and secret.
    pub async fn connect(&self, url: &str) -> (String, String) {
        let body = json!({"name": "Bridge", "channels": [], "url": url});
        let created = self
            .create_connection(self.setup_manager().await, &body)
            .ok()
            .await;
        (
            created["id"].as_str().expect("id").to_string(),
            created["secret"].as_str().expect("secret").to_string(),
        )
    }

    /// A bridge (a receiver answering 204) connected to the account, and an agent Ana at work:
    /// where a test of what happens to replies after their sending begins.
    pub async fn bridge_and_agent(&self) -> (Receiver, LiveAgent) {
        let bridge = Receiver::start().await;
        self.connect(&bridge.url).await;
        (bridge, self.connected_agent("Ana", json!({})).await)
    }

    /// Guest `guest` writes (message `{guest}-{external_id}` on thread `thread-{guest}`), the ticket is
    /// given to `agent` if it is not theirs yet, and `agent` answers `text`.
    pub async fn guest_answered(
        &self,
        agent: &Session,
        guest: &str,
        external_id: &str,
        text: &str,
    ) -> SentReply {
        let message = inquiry(guest, &format!("{guest}-{external_id}"));
        let ticket_id = self.ingest(&message).await.ticket_id;
        let ticket = self.ticket_as_manager(&ticket_id).await;
        if ticket["assignee_id"].as_str() != Some(agent.user_id.as_str()) {
            self.assign(self.setup_manager().await, &ticket_id, &agent.user_id)
                .ok()
                .await;
        }
        self.reply(agent, &ticket_id, text).ok().await;
        let ticket = self.ticket_as_manager(&ticket_id).await;
        let message_id = ticket["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .rev()
            .find(|m| m["direction"] == "outbound")
            .and_then(|m| m["id"].as_str())
            .expect("the reply")
            .to_string();
        SentReply {
            ticket_id,
            message_id,
        }
    }

    /// The delivery status of a reply, as the ticket shows it.
    pub async fn delivery_of(&self, reply: &SentReply) -> Value {
        let ticket = self.ticket_as_manager(&reply.ticket_id).await;
        ticket["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .find(|m| m["id"] == reply.message_id.as_str())
            .map(|m| m["delivery"].clone())
            .expect("the reply in its ticket")
    }

    /// Waits (at most 30 s) until the reply's delivery status is `status`, and answers the
    /// delivery object.
    pub async fn delivery_reaches(&self, reply: &SentReply, status: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let delivery = self.delivery_of(reply).await;
            if delivery["status"] == status {
                return delivery;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the reply's delivery stayed {delivery}, never {status}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
}
