//! The booking stage of a ticket (SPEC §1), derived once from its reservation when the ticket
//! is created, and the reservation statuses it is derived from.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where the guest is in their journey when they write.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    PreBooking,
    Booked,
    Staying,
    PostStay,
}

impl Stage {
    pub const ALL: [Stage; 4] = [
        Stage::PreBooking,
        Stage::Booked,
        Stage::Staying,
        Stage::PostStay,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::PreBooking => "pre_booking",
            Stage::Booked => "booked",
            Stage::Staying => "staying",
            Stage::PostStay => "post_stay",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                format!("`{raw}` is not a stage (pre_booking, booked, staying, post_stay)")
            })
    }

    /// Reports split response times into pre-booking and post-booking (every other stage).
    pub fn is_pre_booking(self) -> bool {
        self == Stage::PreBooking
    }
}

/// A reservation's status as the channel reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Inquiry,
    Request,
    Confirmed,
    Cancelled,
}

impl ReservationStatus {
    pub const ALL: [ReservationStatus; 4] = [
        ReservationStatus::Inquiry,
        ReservationStatus::Request,
        ReservationStatus::Confirmed,
        ReservationStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Inquiry => "inquiry",
            ReservationStatus::Request => "request",
            ReservationStatus::Confirmed => "confirmed",
            ReservationStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                format!(
                    "`{raw}` is not a reservation status (inquiry, request, confirmed, cancelled)"
                )
            })
    }
}

/// What stage derivation needs to know of a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StayFacts {
    pub status: ReservationStatus,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
}

/// Derives the stage of a new ticket from its reservation, on `today` in the account's timezone.
///
/// No reservation, an inquiry or a request is `pre_booking`. A confirmed stay is `booked`
/// before check-in, `staying` from check-in until the check-out day, `post_stay` from the
/// check-out day on (a confirmed stay with no dates is `booked`). A cancelled reservation is
/// `post_stay`: the guest is no longer shopping, and what they write about (refunds, rebooking)
/// is after-booking work.
pub fn derive_stage(reservation: Option<StayFacts>, today: NaiveDate) -> Stage {
    let Some(stay) = reservation else {
        return Stage::PreBooking;
    };
    match stay.status {
        ReservationStatus::Inquiry | ReservationStatus::Request => Stage::PreBooking,
        ReservationStatus::Cancelled => Stage::PostStay,
        ReservationStatus::Confirmed => match (stay.check_in, stay.check_out) {
            (_, Some(out)) if today >= out => Stage::PostStay,
            (Some(check_in), _) if today >= check_in => Stage::Staying,
            _ => Stage::Booked,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn confirmed(check_in: &str, check_out: &str) -> Option<StayFacts> {
        Some(StayFacts {
            status: ReservationStatus::Confirmed,
            check_in: Some(d(check_in)),
            check_out: Some(d(check_out)),
        })
    }

    #[test]
    fn stage_follows_the_stay() {
        assert_eq!(derive_stage(None, d("2026-05-01")), Stage::PreBooking);
        let inquiry = StayFacts {
            status: ReservationStatus::Inquiry,
            check_in: None,
            check_out: None,
        };
        assert_eq!(
            derive_stage(Some(inquiry), d("2026-05-01")),
            Stage::PreBooking
        );
        let stay = confirmed("2026-05-10", "2026-05-12");
        assert_eq!(derive_stage(stay, d("2026-05-09")), Stage::Booked);
        assert_eq!(derive_stage(stay, d("2026-05-10")), Stage::Staying);
        assert_eq!(derive_stage(stay, d("2026-05-11")), Stage::Staying);
        assert_eq!(derive_stage(stay, d("2026-05-12")), Stage::PostStay);
        let cancelled = StayFacts {
            status: ReservationStatus::Cancelled,
            check_in: None,
            check_out: None,
        };
        assert_eq!(
            derive_stage(Some(cancelled), d("2026-05-01")),
            Stage::PostStay
        );
    }

    #[test]
    fn names_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Ok(s));
        }
        for s in ReservationStatus::ALL {
            assert_eq!(ReservationStatus::parse(s.as_str()), Ok(s));
        }
        assert!(Stage::parse("Booked").is_err());
    }
}
