//! Credentials and abuse limits: password hashing, bearer tokens and API keys (stored only as
//! digests), the rate limits of login and ingest, and the short memory of live sessions.
//! Nothing here touches the database.

pub mod login_guard;
pub mod password;
pub mod rate_limit;
pub mod session_cache;
pub mod token;
