//! The arithmetic of SPEC §4, defined once and used by reports, the wallboard and CSV alike:
//! periods in the account's timezone, time inside intervals, whom a review is credited to,
//! and the report row.

pub mod intervals;
pub mod period;
pub mod reviews;
pub mod row;
pub mod service_level;
