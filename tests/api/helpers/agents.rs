//! Test agents, created the way a manager creates them (`POST /agents`) and then signed in.

use super::{Session, TestApp, WsClient, PASSWORD};
use serde_json::{json, Value};
use std::ops::Deref;

/// An agent signed in with one live socket (past its `hello` and `snapshot`).
pub struct LiveAgent {
    pub session: Session,
    pub ws: WsClient,
}

/// A live agent is passed wherever a session is (`app.open(&agent, id)`).
impl Deref for LiveAgent {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

impl TestApp {
    /// An agent of the main account named `name` with `card` (SPEC §5 JSON), created by the
    /// manager through `POST /agents` and signed in; the timer is off and no socket is open.
    pub async fn agent(&self, name: &str, card: Value) -> Session {
        let local: String = name
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let email = format!("{local}@test.test");
        let body = json!({"email": email, "name": name, "password": PASSWORD, "card": card});
        let res = self.create_agent(self.setup_manager().await, &body).await;
        let status = res.status();
        let text = res.text().await.expect("body");
        assert_eq!(status, 201, "create agent {name}: {text}");
        self.login_as(&self.account.slug, &email, PASSWORD).await
    }

    /// [`TestApp::agent`] with a socket open; the timer is off.
    pub async fn connected_agent(&self, name: &str, card: Value) -> LiveAgent {
        let session = self.agent(name, card).await;
        let ws = self.open_tab(&session).await;
        LiveAgent { session, ws }
    }

    /// [`TestApp::connected_agent`] who has started the timer.
    pub async fn working_agent(&self, name: &str, card: Value) -> LiveAgent {
        let agent = self.connected_agent(name, card).await;
        self.start_timer(&agent).ok().await;
        agent
    }
}
