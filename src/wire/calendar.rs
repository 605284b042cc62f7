//! A listing's booking calendar as clients see it (`GET /listings/{id}/calendar`), and the
//! stays a ticket's reservation overlaps.

use crate::domain::calendar::{overlapping, Stay};
use crate::domain::ids::{ListingId, ReservationId, TicketId};
use crate::domain::stage::ReservationStatus;
use crate::store::calendar::{ListingRecord, StayRecord};
use chrono::NaiveDate;
use serde::Serialize;

/// One reservation holding nights of the listing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StayView {
    pub reservation_id: ReservationId,
    pub external_id: String,
    pub status: ReservationStatus,
    pub channel: String,
    pub check_in: NaiveDate,
    /// The day the guest leaves (no night is held on it).
    pub check_out: NaiveDate,
    pub guest_name: Option<String>,
    /// The reservation's newest ticket, if it has one.
    pub ticket_id: Option<TicketId>,
    /// It shares a night with another stay of the listing: an overbooking.
    pub overlaps: bool,
}

impl StayView {
    fn new(s: StayRecord, overlaps: bool) -> StayView {
        StayView {
            reservation_id: s.reservation_id,
            external_id: s.external_id,
            status: s.status,
            channel: s.channel,
            check_in: s.check_in,
            check_out: s.check_out,
            guest_name: s.guest_name,
            ticket_id: s.ticket_id,
            overlaps,
        }
    }

    /// Stays that each overlap a given reservation.
    pub fn overlapping(stays: Vec<StayRecord>) -> Vec<StayView> {
        stays.into_iter().map(|s| StayView::new(s, true)).collect()
    }
}

/// The listing a calendar is of.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ListingView {
    pub id: ListingId,
    pub external_id: String,
    pub name: String,
}

/// `GET /listings/{id}/calendar`: the listing's stays with a night in [from, to).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarView {
    pub listing: ListingView,
    pub from: NaiveDate,
    /// The first day not shown.
    pub to: NaiveDate,
    /// By check-in; cancelled reservations hold no nights and are not listed.
    pub items: Vec<StayView>,
}

impl CalendarView {
    /// The calendar, each stay marked when it overlaps another of the list.
    pub fn new(
        listing: ListingRecord,
        (from, to): (NaiveDate, NaiveDate),
        stays: Vec<StayRecord>,
    ) -> CalendarView {
        let nights: Vec<Stay> = stays
            .iter()
            .map(|s| Stay {
                check_in: s.check_in,
                check_out: s.check_out,
            })
            .collect();
        let marks = overlapping(&nights);
        CalendarView {
            listing: ListingView {
                id: listing.id,
                external_id: listing.external_id,
                name: listing.name,
            },
            from,
            to,
            items: stays
                .into_iter()
                .zip(marks)
                .map(|(s, o)| StayView::new(s, o))
                .collect(),
        }
    }
}
