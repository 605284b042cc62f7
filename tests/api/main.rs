//! End-to-end tests: each spawns the real application against its own fresh PostgreSQL
//! database, so they run in parallel and leave nothing behind.

mod helpers;

mod account;
mod auth;
mod ops;
