//! End-to-end tests: each spawns the real application against its own fresh PostgreSQL
//! database, so they run in parallel and leave nothing behind. `helpers` starts the app and
//! has one method per endpoint; every other module is one capability.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod helpers;

mod account;
mod action_batches;
mod agents;
mod alerts;
mod auth;
mod cluster;
mod crm_filters;
mod cross_site;
mod delivery_updates;
mod demo;
mod dispatch_balanced;
mod dispatch_commit;
mod dispatch_moves;
mod dispatch_sessions;
mod follow_ups;
mod guest_panel;
mod inbox_views;
mod ingest;
mod ingest_batches;
mod live_counts;
mod manager_pins;
mod metrics;
mod my_todos;
mod notes;
mod openapi;
mod ops;
mod outbound;
mod outbound_restart;
mod outcome_batches;
mod overbooking;
mod planner_statistics;
mod presence_outage;
mod receipt_batches;
mod recently_confirmed;
mod remarketing;
mod reports;
mod return_timer;
mod reviews;
mod revocation;
mod rollups;
mod routing_groups;
mod shutdown;
mod slow_client;
mod templates;
mod tickets;
mod todos;
mod viewers;
mod wallboard;
