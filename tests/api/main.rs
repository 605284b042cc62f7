//! End-to-end tests: each spawns the real application against its own fresh PostgreSQL
//! database, so they run in parallel and leave nothing behind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod helpers;
mod realtime;
mod reports;
mod ws_client;

mod account;
mod agents;
mod auth;
mod demo;
mod dispatch_balanced;
mod dispatch_moves;
mod dispatch_sessions;
mod ingest;
mod ops;
mod shutdown;
mod templates;
mod tickets;
mod wallboard;
