//! One `TestApp` method per endpoint of SPEC §5 and §6, named after what it does. Each answers
//! a [`Call`]: `.await` it for the raw response, or `.ok().await` for the JSON body of a
//! success. Only these methods know the URL paths.

use super::{TestAccount, TestApp, WsClient, MANAGER_EMAIL, PASSWORD};
use futures_util::future::BoxFuture;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};
use std::future::IntoFuture;

/// Who a request is sent as.
#[derive(Debug, Clone)]
pub struct Session {
    /// The signed-in user's id (empty for credentials that are not a login).
    pub user_id: String,
    credential: Credential,
    /// The `Origin` a browser would send with the request, if any.
    origin: Option<String>,
}

#[derive(Debug, Clone)]
enum Credential {
    Bearer(String),
    Cookie(String),
    Nothing,
}

impl Session {
    /// No credentials at all.
    pub fn anonymous() -> Session {
        Session {
            user_id: String::new(),
            credential: Credential::Nothing,
            origin: None,
        }
    }

    /// `Authorization: Bearer token` with a token that is not (or no longer) a login.
    pub fn bearer(token: &str) -> Session {
        Session {
            user_id: String::new(),
            credential: Credential::Bearer(token.into()),
            origin: None,
        }
    }

    /// Only a `Cookie` header, as a browser sends it.
    pub fn cookie(cookie: &str) -> Session {
        Session {
            user_id: String::new(),
            credential: Credential::Cookie(cookie.into()),
            origin: None,
        }
    }

    /// The same login as a browser holds it: only the session cookie.
    pub fn in_browser(&self) -> Session {
        Session {
            user_id: self.user_id.clone(),
            credential: Credential::Cookie(format!("sb_session={}", self.token())),
            origin: None,
        }
    }

    /// The same credentials, sent by a page of `origin` (a browser adds `Origin`).
    pub fn sent_by_page_of(&self, origin: &str) -> Session {
        Session {
            origin: Some(origin.into()),
            ..self.clone()
        }
    }

    fn token(&self) -> &str {
        match &self.credential {
            Credential::Bearer(token) => token,
            _ => panic!("a socket needs a bearer token"),
        }
    }
}

/// A request ready to be sent.
pub struct Call {
    what: String,
    request: RequestBuilder,
}

impl IntoFuture for Call {
    type Output = Response;
    type IntoFuture = BoxFuture<'static, Response>;

    fn into_future(self) -> Self::IntoFuture {
        let what = self.what;
        Box::pin(async move {
            self.request
                .send()
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"))
        })
    }
}

impl Call {
    /// Sends, asserts a 2xx answer and answers its JSON body (`null` when there is none).
    pub async fn ok(self) -> Value {
        let what = self.what.clone();
        let res = self.await;
        let status = res.status();
        let text = res.text().await.expect("body");
        assert!(status.is_success(), "{what}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// Asserts the status and the SPEC §5 error shape, returning the error code.
pub async fn assert_error(res: Response, status: u16) -> String {
    let got = res.status().as_u16();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {text}");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("error body is not JSON: {text}"));
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "error without a message: {text}");
    body["error"]["code"]
        .as_str()
        .expect("error code")
        .to_string()
}

/// The ids a new guest message was stored under.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub ticket_id: String,
    pub thread_id: String,
}

impl TestApp {
    pub(super) fn call(&self, method: Method, path: &str, user: &Session) -> Call {
        let request = self
            .client
            .request(method.clone(), format!("{}/api/v1{path}", self.address));
        let request = match &user.credential {
            Credential::Bearer(token) => request.bearer_auth(token),
            Credential::Cookie(cookie) => request.header("cookie", cookie),
            Credential::Nothing => request,
        };
        let request = match &user.origin {
            Some(origin) => request.header("origin", origin),
            None => request,
        };
        Call {
            what: format!("{method} {path}"),
            request,
        }
    }

    pub(super) fn get(&self, path: &str, user: &Session) -> Call {
        self.call(Method::GET, path, user)
    }

    pub(super) fn get_query(&self, path: &str, user: &Session, query: &[(&str, &str)]) -> Call {
        let Call { what, request } = self.get(path, user);
        Call {
            what: format!("{what} {query:?}"),
            request: request.query(query),
        }
    }

    pub(super) fn post(&self, path: &str, user: &Session, body: &Value) -> Call {
        let Call { what, request } = self.call(Method::POST, path, user);
        Call {
            what,
            request: request.json(body),
        }
    }

    pub(super) fn patch(&self, path: &str, user: &Session, body: &Value) -> Call {
        let Call { what, request } = self.call(Method::PATCH, path, user);
        Call {
            what,
            request: request.json(body),
        }
    }

    /// The escape hatch for a path SPEC §5 does not have: `GET /api/v1{path}`, anonymously.
    pub fn get_unknown_path(&self, path: &str) -> Call {
        self.get(path, &Session::anonymous())
    }

    // Auth.

    /// `POST /auth/login` with `body` as it is.
    pub fn login(&self, body: &Value) -> Call {
        self.post("/auth/login", &Session::anonymous(), body)
    }

    /// `POST /auth/login` with a body that need not be JSON (but says it is).
    pub fn login_raw(&self, body: &str) -> Call {
        let Call { what, request } = self.call(Method::POST, "/auth/login", &Session::anonymous());
        Call {
            what,
            request: request
                .header("content-type", "application/json")
                .body(body.to_string()),
        }
    }

    /// Logs in and answers the session, asserting success.
    pub async fn login_as(&self, account: &str, email: &str, password: &str) -> Session {
        let res = self
            .login(&json!({"account": account, "email": email, "password": password}))
            .await;
        assert_eq!(res.status(), 200, "login of {email}");
        let body: Value = res.json().await.expect("json");
        Session {
            user_id: body["user"]["id"].as_str().expect("user id").to_string(),
            credential: Credential::Bearer(body["token"].as_str().expect("token").to_string()),
            origin: None,
        }
    }

    /// A new session of the main account's manager.
    pub async fn manager(&self) -> Session {
        self.manager_of(&self.account).await
    }

    /// A new session of `account`'s manager.
    pub async fn manager_of(&self, account: &TestAccount) -> Session {
        self.login_as(&account.slug, MANAGER_EMAIL, PASSWORD).await
    }

    /// The manager session the helpers use for their own set-up.
    pub(super) async fn setup_manager(&self) -> &Session {
        self.setup_manager.get_or_init(|| self.manager()).await
    }

    pub fn logout(&self, user: &Session) -> Call {
        self.post("/auth/logout", user, &json!({}))
    }

    pub fn me(&self, user: &Session) -> Call {
        self.get("/me", user)
    }

    // Work state.

    pub fn start_timer(&self, user: &Session) -> Call {
        self.post("/me/timer/start", user, &json!({}))
    }

    pub fn stop_timer(&self, user: &Session) -> Call {
        self.post("/me/timer/stop", user, &json!({}))
    }

    pub fn pause_intake(&self, user: &Session) -> Call {
        self.post("/me/intake/pause", user, &json!({}))
    }

    pub fn resume_intake(&self, user: &Session) -> Call {
        self.post("/me/intake/resume", user, &json!({}))
    }

    // Tickets.

    /// `GET /tickets` with query parameters such as `("view", "all")`, `("q", "ana")`.
    pub fn tickets(&self, user: &Session, query: &[(&str, &str)]) -> Call {
        self.get_query("/tickets", user, query)
    }

    pub fn ticket(&self, user: &Session, id: &str) -> Call {
        self.get(&format!("/tickets/{id}"), user)
    }

    /// `GET /tickets/{id}/activity`.
    pub fn activity(&self, user: &Session, id: &str) -> Call {
        self.get(&format!("/tickets/{id}/activity"), user)
    }

    /// A ticket as the manager sees it, asserting success.
    pub async fn ticket_as_manager(&self, id: &str) -> Value {
        self.ticket(self.setup_manager().await, id).ok().await
    }

    pub fn open(&self, user: &Session, ticket: &str) -> Call {
        self.post(&format!("/tickets/{ticket}/open"), user, &json!({}))
    }

    pub fn reply(&self, user: &Session, ticket: &str, body: &str) -> Call {
        self.post(
            &format!("/tickets/{ticket}/reply"),
            user,
            &json!({"body": body}),
        )
    }

    pub fn mark_pending(&self, user: &Session, ticket: &str, note: &str) -> Call {
        self.post(
            &format!("/tickets/{ticket}/pending"),
            user,
            &json!({"note": note}),
        )
    }

    pub fn mark_done(&self, user: &Session, ticket: &str) -> Call {
        self.post(&format!("/tickets/{ticket}/done"), user, &json!({}))
    }

    pub fn claim(&self, user: &Session, ticket: &str) -> Call {
        self.post(&format!("/tickets/{ticket}/claim"), user, &json!({}))
    }

    pub fn assign(&self, user: &Session, ticket: &str, agent_id: &str) -> Call {
        self.assign_with(user, ticket, &json!({ "agent_id": agent_id }))
    }

    /// `POST /tickets/{id}/assign` with `body` as it is.
    pub fn assign_with(&self, user: &Session, ticket: &str, body: &Value) -> Call {
        self.post(&format!("/tickets/{ticket}/assign"), user, body)
    }

    /// `POST /tickets/{id}/notes {body}`: an internal note.
    pub fn add_note(&self, user: &Session, ticket: &str, body: &str) -> Call {
        self.post(
            &format!("/tickets/{ticket}/notes"),
            user,
            &json!({ "body": body }),
        )
    }

    /// `GET /todos`: the caller's open to-dos.
    pub fn my_todos(&self, user: &Session) -> Call {
        self.get("/todos", user)
    }

    /// `GET /tickets/{id}/todos`.
    pub fn todos(&self, user: &Session, ticket: &str) -> Call {
        self.get(&format!("/tickets/{ticket}/todos"), user)
    }

    /// `POST /tickets/{id}/todos` with `body` as it is.
    pub fn add_todo(&self, user: &Session, ticket: &str, body: &Value) -> Call {
        self.post(&format!("/tickets/{ticket}/todos"), user, body)
    }

    /// `PATCH /tickets/{id}/todos/{todo_id}`.
    pub fn update_todo(&self, user: &Session, ticket: &str, todo: &str, patch: &Value) -> Call {
        self.patch(&format!("/tickets/{ticket}/todos/{todo}"), user, patch)
    }

    /// `DELETE /tickets/{id}/todos/{todo_id}`.
    pub fn delete_todo(&self, user: &Session, ticket: &str, todo: &str) -> Call {
        self.call(
            Method::DELETE,
            &format!("/tickets/{ticket}/todos/{todo}"),
            user,
        )
    }

    /// `POST /tickets/{id}/mood {mood}` with `mood` as it is.
    pub fn set_mood(&self, user: &Session, ticket: &str, mood: &Value) -> Call {
        self.post(
            &format!("/tickets/{ticket}/mood"),
            user,
            &json!({ "mood": mood }),
        )
    }

    /// `POST /tickets/{id}/follow-up {at, note}` with `body` as it is.
    pub fn follow_up(&self, user: &Session, ticket: &str, body: &Value) -> Call {
        self.post(&format!("/tickets/{ticket}/follow-up"), user, body)
    }

    /// `GET /tickets/counts`: each guest view's count for `user`.
    pub fn view_counts(&self, user: &Session) -> Call {
        self.get("/tickets/counts", user)
    }

    /// `GET /listings/{id}/calendar` with `query` (`from`, `to`) as it is.
    pub fn calendar(&self, user: &Session, listing: &str, query: &[(&str, &str)]) -> Call {
        self.get_query(&format!("/listings/{listing}/calendar"), user, query)
    }

    /// `GET /guests/{id}`: the guest panel.
    pub fn guest_panel(&self, user: &Session, guest: &str) -> Call {
        self.get(&format!("/guests/{guest}"), user)
    }

    // Agents.

    pub fn agents(&self, user: &Session) -> Call {
        self.get("/agents", user)
    }

    pub fn create_agent(&self, user: &Session, body: &Value) -> Call {
        self.post("/agents", user, body)
    }

    /// `POST /agents` with a body of any content type (as a cross-site form could send it).
    pub fn create_agent_raw(&self, user: &Session, content_type: &str, body: &str) -> Call {
        let Call { what, request } = self.call(Method::POST, "/agents", user);
        Call {
            what,
            request: request
                .header("content-type", content_type)
                .body(body.to_string()),
        }
    }

    pub fn agent_by_id(&self, user: &Session, id: &str) -> Call {
        self.get(&format!("/agents/{id}"), user)
    }

    pub fn update_agent(&self, user: &Session, id: &str, patch: &Value) -> Call {
        self.patch(&format!("/agents/{id}"), user, patch)
    }

    // Templates.

    pub fn templates(&self, user: &Session) -> Call {
        self.get("/templates", user)
    }

    pub fn create_template(&self, user: &Session, body: &Value) -> Call {
        self.post("/templates", user, body)
    }

    pub fn template(&self, user: &Session, id: &str) -> Call {
        self.get(&format!("/templates/{id}"), user)
    }

    pub fn update_template(&self, user: &Session, id: &str, patch: &Value) -> Call {
        self.patch(&format!("/templates/{id}"), user, patch)
    }

    pub fn delete_template(&self, user: &Session, id: &str) -> Call {
        self.call(Method::DELETE, &format!("/templates/{id}"), user)
    }

    /// `POST /templates/{id}/preview {language, values}`.
    pub fn preview_template(&self, user: &Session, id: &str, body: &Value) -> Call {
        self.post(&format!("/templates/{id}/preview"), user, body)
    }

    // Reports and the wallboard.

    /// `GET /reports/agents` with query parameters (`from`, `to`, `format`).
    pub fn agents_report(&self, user: &Session, query: &[(&str, &str)]) -> Call {
        self.get_query("/reports/agents", user, query)
    }

    /// `GET /reports/team` with query parameters (`from`, `to`, `compare`).
    pub fn team_report(&self, user: &Session, query: &[(&str, &str)]) -> Call {
        self.get_query("/reports/team", user, query)
    }

    /// [`TestApp::team_report`] asking for CSV with `Accept: text/csv`.
    pub fn team_report_csv(&self, user: &Session, query: &[(&str, &str)]) -> Call {
        let Call { what, request } = self.team_report(user, query);
        Call {
            what,
            request: request.header("accept", "text/csv"),
        }
    }

    pub fn wallboard(&self, user: &Session) -> Call {
        self.get("/wallboard", user)
    }

    // Ingest.

    /// Ingests a guest message that is new, with the account's key, asserting 202.
    pub async fn ingest(&self, message: &Value) -> Ingested {
        let res = self.ingest_message(&self.account.api_key, message).await;
        let status = res.status();
        let text = res.text().await.expect("body");
        assert_eq!(status, 202, "ingest: {text}");
        let ids: Value = serde_json::from_str(&text).expect("json");
        Ingested {
            ticket_id: ids["ticket_id"].as_str().expect("ticket_id").to_string(),
            thread_id: ids["thread_id"].as_str().expect("thread_id").to_string(),
        }
    }

    /// `POST /ingest/messages` with API key `key`.
    pub fn ingest_message(&self, key: &str, message: &Value) -> Call {
        self.post("/ingest/messages", &Session::bearer(key), message)
    }

    /// `POST /ingest/messages` with no API key at all.
    pub fn ingest_message_without_key(&self, message: &Value) -> Call {
        self.post("/ingest/messages", &Session::anonymous(), message)
    }

    /// `POST /ingest/reservations` with API key `key`.
    pub fn ingest_reservation(&self, key: &str, reservation: &Value) -> Call {
        self.post("/ingest/reservations", &Session::bearer(key), reservation)
    }

    /// `POST /ingest/reviews` with API key `key`.
    pub fn ingest_review(&self, key: &str, review: &Value) -> Call {
        self.post("/ingest/reviews", &Session::bearer(key), review)
    }

    // Account.

    pub fn account(&self, user: &Session) -> Call {
        self.get("/account", user)
    }

    pub fn patch_account(&self, user: &Session, patch: &Value) -> Call {
        self.patch("/account", user, patch)
    }

    /// `GET /alerts?state=…`.
    pub fn alerts(&self, user: &Session, state: &str) -> Call {
        self.get(&format!("/alerts?state={state}"), user)
    }

    /// `POST /alerts/{id}/ack`.
    pub fn ack_alert(&self, user: &Session, id: &str) -> Call {
        self.post(&format!("/alerts/{id}/ack"), user, &json!({}))
    }

    pub fn create_api_key(&self, user: &Session, label: &str) -> Call {
        self.post("/api-keys", user, &json!({ "label": label }))
    }

    pub fn api_keys(&self, user: &Session) -> Call {
        self.get("/api-keys", user)
    }

    pub fn revoke_api_key(&self, user: &Session, id: &str) -> Call {
        self.call(Method::DELETE, &format!("/api-keys/{id}"), user)
    }

    // Ops.

    pub fn healthz(&self) -> Call {
        self.get("/healthz", &Session::anonymous())
    }

    pub fn readyz(&self) -> Call {
        self.get("/readyz", &Session::anonymous())
    }

    /// `GET /metrics` as `reader` (anonymous, or `Session::bearer(metrics token)`).
    pub fn metrics(&self, reader: &Session) -> Call {
        self.get("/metrics", reader)
    }

    /// `GET /openapi.json` (SPEC §9), anonymously.
    pub fn openapi(&self) -> Call {
        self.get("/openapi.json", &Session::anonymous())
    }

    /// `GET /ws` as a plain request, without asking to upgrade.
    pub fn ws_without_upgrade(&self, user: &Session) -> Call {
        self.get("/ws", user)
    }

    // WebSocket (SPEC §6).

    /// A socket as `user`, before any frame is read.
    pub async fn ws(&self, user: &Session) -> WsClient {
        WsClient::connect(self.port, user.token(), None).await
    }

    /// A socket as `user` with a tiny receive buffer, for a client that stops reading.
    pub async fn ws_small_buffer(&self, user: &Session) -> WsClient {
        WsClient::connect_small_buffer(self.port, user.token()).await
    }

    /// A socket as `user` that asks to resume after `last_seq`.
    pub async fn ws_resuming(&self, user: &Session, last_seq: u64) -> WsClient {
        WsClient::connect(self.port, user.token(), Some(last_seq)).await
    }

    /// A socket as `user` that resumes after `last_seq` of history `epoch`.
    pub async fn ws_resuming_at(&self, user: &Session, epoch: u64, last_seq: u64) -> WsClient {
        WsClient::connect_at(self.port, user.token(), epoch, last_seq).await
    }

    /// A socket as `user` that resumes where `before` (a socket to any node) left off.
    pub async fn ws_resuming_after(&self, user: &Session, before: &WsClient) -> WsClient {
        WsClient::connect_after(self.port, user.token(), before).await
    }

    /// A socket opened the way a browser on `origin` opens it: with the session cookie and
    /// `Origin`; answers the HTTP status of a refused upgrade.
    pub async fn ws_in_browser(&self, user: &Session, origin: &str) -> Result<WsClient, u16> {
        let Credential::Cookie(cookie) = &user.in_browser().credential else {
            unreachable!("in_browser holds a cookie");
        };
        WsClient::connect_with_cookie(self.port, cookie, origin).await
    }

    /// A new browser tab of `user`: a socket past its `hello` and `snapshot`.
    pub async fn open_tab(&self, user: &Session) -> WsClient {
        let mut ws = self.ws(user).await;
        ws.expect("hello").await;
        ws.expect("snapshot").await;
        ws
    }
}
