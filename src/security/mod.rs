//! Credentials and abuse limits: password hashing, bearer tokens and API keys (stored only as
//! digests), and the rate limits of login and ingest. Nothing here touches the database.

pub mod password;
pub mod rate_limit;
pub mod token;
