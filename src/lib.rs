//! Switchboard: a realtime guest-communication desk. See `README.md` and `../shared/SPEC.md`.
#![forbid(unsafe_code)]

pub mod config;
pub mod demo;
pub mod dispatch;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod presence;
pub mod provision;
pub mod realtime;
pub mod reports;
pub mod security;
pub mod session;
pub mod simulate;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tickets;
pub mod wallboard;
