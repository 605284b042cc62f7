//! Switchboard: a realtime guest-communication desk. See `README.md` and `../shared/SPEC.md`.
#![forbid(unsafe_code)]

pub mod config;
pub mod domain;
pub mod http;
pub mod presence;
pub mod provision;
pub mod security;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
