//! Helpers for realtime tests: agents with a live socket, and realistic guest messages.

use crate::helpers::{Session, TestApp, PASSWORD};
use crate::ws_client::WsClient;
use serde_json::{json, Value};
use switchboard::domain::card::AgentCard;
use switchboard::domain::user::Role;
use switchboard::store::users::{self, NewUser};

/// An agent signed in with one live socket.
pub struct Agent {
    pub session: Session,
    pub ws: WsClient,
    pub port: u16,
    pub client: reqwest::Client,
    pub base: String,
}

impl Agent {
    /// Creates an agent with `card` (JSON of SPEC §5), signs in and connects; the timer is off.
    pub async fn connected(app: &TestApp, name: &str, card: Value) -> Agent {
        let session = create_agent(app, name, card).await;
        let mut ws = WsClient::connect(app.port, &session.token, None).await;
        ws.expect("hello").await;
        ws.expect("snapshot").await;
        Agent {
            session,
            ws,
            port: app.port,
            client: app.client.clone(),
            base: app.url(""),
        }
    }

    /// [`Agent::connected`], then starts the timer.
    pub async fn working(app: &TestApp, name: &str, card: Value) -> Agent {
        let mut agent = Agent::connected(app, name, card).await;
        agent.post("/me/timer/start").await;
        agent
    }

    /// POSTs as this agent, asserting success; answers the JSON body.
    pub async fn post(&mut self, path: &str) -> Value {
        self.post_json(path, json!({})).await
    }

    pub async fn post_json(&mut self, path: &str, body: Value) -> Value {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.session.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Another tab of the same user.
    pub async fn second_tab(&self) -> WsClient {
        let mut ws = WsClient::connect(self.port, &self.session.token, None).await;
        ws.expect("hello").await;
        ws.expect("snapshot").await;
        ws
    }

    pub fn id(&self) -> &str {
        &self.session.user_id
    }
}

/// Inserts an agent with `card` straight into the database and signs them in.
pub async fn create_agent(app: &TestApp, name: &str, card: Value) -> Session {
    let account_id = switchboard::domain::ids::AccountId(app.account.id.parse().unwrap());
    let local: String = name
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let email = format!("{local}@test.test");
    let hash = switchboard::app::accounts::hash_password(PASSWORD)
        .await
        .unwrap();
    let id = users::insert(
        &app.pool,
        NewUser {
            account_id,
            email: &email,
            name,
            role: Role::Agent,
            password_hash: &hash,
        },
    )
    .await
    .unwrap();
    let mut user = users::get(&app.pool, account_id, id)
        .await
        .unwrap()
        .unwrap();
    user.card = serde_json::from_value::<AgentCard>(card)
        .unwrap()
        .validated()
        .unwrap();
    let mut conn = app.pool.acquire().await.unwrap();
    users::update(&mut conn, &user).await.unwrap();
    app.login_as(&app.account.slug, &email, PASSWORD).await
}

/// A first guest message on a new thread, with an inquiry reservation.
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

impl TestApp {
    /// Ingests a guest message with the account's key, asserting 202; answers the ids.
    pub async fn ingest(&self, body: &Value) -> Value {
        let res = self
            .client
            .post(self.url("/ingest/messages"))
            .bearer_auth(&self.account.api_key)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 202, "ingest: {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// A ticket as the manager sees it.
    pub async fn ticket_as_manager(&self, id: &str) -> Value {
        let manager = self.manager().await;
        let res = self.get(&format!("/tickets/{id}"), &manager).await;
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }
}
