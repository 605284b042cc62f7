//! The routing-group endpoints (SPEC §9), and a manager stopping or pausing an agent.

use super::endpoints::Call;
use super::{Session, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

impl TestApp {
    pub fn groups(&self, user: &Session) -> Call {
        self.get("/groups", user)
    }

    pub fn create_group(&self, user: &Session, body: &Value) -> Call {
        self.post("/groups", user, body)
    }

    pub fn group(&self, user: &Session, id: &str) -> Call {
        self.get(&format!("/groups/{id}"), user)
    }

    pub fn update_group(&self, user: &Session, id: &str, patch: &Value) -> Call {
        self.patch(&format!("/groups/{id}"), user, patch)
    }

    pub fn delete_group(&self, user: &Session, id: &str) -> Call {
        self.call(Method::DELETE, &format!("/groups/{id}"), user)
    }

    /// A manager stops agent `id`'s timer (`POST /agents/{id}/timer/stop`).
    pub fn stop_timer_of(&self, user: &Session, id: &str) -> Call {
        self.post(&format!("/agents/{id}/timer/stop"), user, &json!({}))
    }

    /// A manager pauses agent `id`'s intake (`POST /agents/{id}/intake/pause`).
    pub fn pause_intake_of(&self, user: &Session, id: &str) -> Call {
        self.post(&format!("/agents/{id}/intake/pause"), user, &json!({}))
    }
}
