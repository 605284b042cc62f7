//! The realtime side of a user's inbox (SPEC §6): the wire frames, the per-node hub that
//! numbers and fans out each user's events, and the WebSocket session actor, which reaches
//! the rest of the server only through the [`desk::Desk`] trait.
//!
//! A frame is only ever a notification of something already committed to PostgreSQL: a client
//! that reconnects gets a snapshot read from the database, never from a socket buffer alone.

pub mod actor;
pub mod desk;
pub mod frame_budget;
pub mod frames;
pub mod hub;
pub mod viewing;
