//! The operations HTTP handlers and sockets call, one module per capability: ingest, reviews,
//! ticket actions, internal notes, work state, the inbox and its snapshot, reports, the
//! wallboard, accounts, agents, templates and sign-in. Each operation validates what the edge
//! could not, commits through `store/`, and then tells the dispatcher; each module has its own
//! error enum, and every error names its client-facing [`Code`](crate::wire::Code). Nothing
//! here knows HTTP.

pub mod account_share;
pub mod accounts;
pub mod action_writer;
pub mod agents;
pub mod alerts;
pub mod auth;
pub mod calendar;
mod failure;
pub mod follow_ups;
pub mod groups;
pub mod guest_panel;
pub mod health;
pub mod inbox;
pub mod ingest;
pub mod live;
pub mod live_counts;
pub mod metrics;
pub mod notes;
pub mod outbound;
pub mod planner_statistics;
pub mod recent;
pub mod reports;
pub mod reviews;
pub mod revocations;
pub mod rollups;
pub mod services;
pub mod templates;
pub mod tickets;
pub mod todos;
pub mod users;
pub mod wallboard;
pub mod work;

pub use failure::Failure;
pub use services::Services;
