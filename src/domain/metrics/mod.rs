//! The arithmetic of SPEC §4, defined once and used by reports, the wallboard and CSV alike:
//! periods in the account's timezone, which of their days the daily rollups answer, additive
//! sums and response-time sketches, time inside intervals, whom a review is credited to, what
//! a remarketing try is, and the report row.

pub mod days;
pub mod intervals;
pub mod period;
pub mod remarketing;
pub mod reviews;
pub mod row;
pub mod service_level;
pub mod sketch;
pub mod sums;
