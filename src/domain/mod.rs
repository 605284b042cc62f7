//! Pure types and rules of the product: identifiers, channels, stages, the ticket state
//! machine, account settings, agent cards. Nothing here performs I/O or reads the clock;
//! callers pass "now" in, so every rule can be unit- and property-tested.

pub mod account;
pub mod alert;
pub mod calendar;
pub mod card;
pub mod channel;
pub mod crm_filter;
pub mod delivery;
pub mod digest;
pub mod dispatch;
pub mod follow_up;
pub mod guest_dates;
pub mod guest_match;
pub mod ids;
pub mod inbox;
pub mod ingest;
pub mod ingest_batch;
pub mod metrics;
pub mod note;
pub mod review;
pub mod routing;
pub mod stage;
pub mod statistics;
pub mod template;
pub mod ticket;
pub mod time_range;
pub mod todo;
pub mod user;
pub mod viewers;
pub mod work;
