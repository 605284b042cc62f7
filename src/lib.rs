//! Switchboard: a realtime guest-communication desk. See `README.md` and `../shared/SPEC.md`.
//!
//! Dependencies point inward: `domain` ← `store` ← `wire` ← `dispatch` / `session` ← `app`
//! ← `http`; `startup` builds the whole and `main` runs it.

pub mod app;
pub mod cluster;
pub mod config;
pub mod detached;
pub mod dispatch;
pub mod domain;
pub mod http;
pub mod metrics;
pub mod presence;
pub mod security;
pub mod session;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod wire;
