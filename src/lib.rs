//! Switchboard: a realtime guest-communication desk. See `README.md` and `../shared/SPEC.md`.
#![forbid(unsafe_code)]

pub mod domain;
