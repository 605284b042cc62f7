//! What one group-committed batch of guest messages writes, worked out before any SQL: the
//! same row named by several messages (a guest writing twice, a busy listing, one thread) is
//! written once, with the values the messages would have left had they been stored one after
//! another in arrival order.

use super::ids::AccountId;
use super::ingest::{Guest, InboundMessage, Stay};
use super::stage::ReservationStatus;
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// A guest as the batch leaves it: the latest name; each optional field the latest one given.
#[derive(Debug, Clone, PartialEq)]
pub struct GuestRow {
    pub account_id: AccountId,
    pub channel: String,
    pub guest: Guest,
}

/// A listing as the batch leaves it: the latest name given, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct ListingRow {
    pub account_id: AccountId,
    pub external_id: String,
    pub name: Option<String>,
}

/// A reservation as the batch leaves it, with every status it passed through in order
/// (consecutive repeats folded), so each transition is recorded as it would have been one
/// message at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct StayRow {
    pub account_id: AccountId,
    pub channel: String,
    pub external_id: String,
    /// The status it ends in.
    pub status: ReservationStatus,
    /// The statuses it passed through before that, oldest first.
    pub earlier: Vec<ReservationStatus>,
    pub listing_external_id: String,
    /// The guest of the latest message naming it.
    pub guest_external_id: String,
    pub check_in: Option<NaiveDate>,
    pub check_out: Option<NaiveDate>,
    pub total_price_cents: Option<i64>,
    pub currency: Option<String>,
    pub payment_status: Option<String>,
}

impl StayRow {
    /// Every status it passed through, oldest first, ending with [`StayRow::status`].
    pub fn statuses(&self) -> impl Iterator<Item = ReservationStatus> + '_ {
        self.earlier
            .iter()
            .copied()
            .chain(std::iter::once(self.status))
    }
}

/// A thread as the batch leaves it: its guest, and the latest reservation named on it.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadRow {
    pub account_id: AccountId,
    pub channel: String,
    pub external_id: String,
    pub guest_external_id: String,
    pub stay_external_id: Option<String>,
}

/// Every row a batch writes besides its messages, tickets and events, each once.
#[derive(Debug, Default, PartialEq)]
pub struct BatchRows {
    pub guests: Vec<GuestRow>,
    pub listings: Vec<ListingRow>,
    pub stays: Vec<StayRow>,
    pub threads: Vec<ThreadRow>,
}

/// Merges the rows `messages` name, in arrival order. Rows come out sorted by key, so that
/// batches written at once (from several nodes) lock rows in one order.
pub fn merge_rows<'a>(
    messages: impl IntoIterator<Item = (AccountId, &'a InboundMessage)>,
) -> BatchRows {
    let mut guests: BTreeMap<(AccountId, String, String), GuestRow> = BTreeMap::new();
    let mut listings: BTreeMap<(AccountId, String), ListingRow> = BTreeMap::new();
    let mut stays: BTreeMap<(AccountId, String, String), StayRow> = BTreeMap::new();
    let mut threads: BTreeMap<(AccountId, String, String), ThreadRow> = BTreeMap::new();
    for (account_id, m) in messages {
        let channel = m.channel.as_str().to_string();
        guests
            .entry((account_id, channel.clone(), m.guest.external_id.clone()))
            .and_modify(|row| row.guest = merge_guest(&row.guest, &m.guest))
            .or_insert_with(|| GuestRow {
                account_id,
                channel: channel.clone(),
                guest: m.guest.clone(),
            });
        if let Some(stay) = &m.reservation {
            listings
                .entry((account_id, stay.listing_external_id.clone()))
                .and_modify(|row| {
                    if stay.listing_name.is_some() {
                        row.name = stay.listing_name.clone();
                    }
                })
                .or_insert_with(|| ListingRow {
                    account_id,
                    external_id: stay.listing_external_id.clone(),
                    name: stay.listing_name.clone(),
                });
            stays
                .entry((account_id, channel.clone(), stay.external_id.clone()))
                .and_modify(|row| merge_stay(row, stay, &m.guest.external_id))
                .or_insert_with(|| StayRow {
                    account_id,
                    channel: channel.clone(),
                    external_id: stay.external_id.clone(),
                    status: stay.status,
                    earlier: Vec::new(),
                    listing_external_id: stay.listing_external_id.clone(),
                    guest_external_id: m.guest.external_id.clone(),
                    check_in: stay.check_in,
                    check_out: stay.check_out,
                    total_price_cents: stay.total_price_cents,
                    currency: stay.currency.clone(),
                    payment_status: stay.payment_status.clone(),
                });
        }
        let stay_id = m.reservation.as_ref().map(|s| s.external_id.clone());
        threads
            .entry((account_id, channel.clone(), m.thread_external_id.clone()))
            .and_modify(|row| {
                row.guest_external_id = m.guest.external_id.clone();
                if stay_id.is_some() {
                    row.stay_external_id = stay_id.clone();
                }
            })
            .or_insert_with(|| ThreadRow {
                account_id,
                channel,
                external_id: m.thread_external_id.clone(),
                guest_external_id: m.guest.external_id.clone(),
                stay_external_id: stay_id,
            });
    }
    BatchRows {
        guests: guests.into_values().collect(),
        listings: listings.into_values().collect(),
        stays: stays.into_values().collect(),
        threads: threads.into_values().collect(),
    }
}

/// `later` stored after `earlier`: its name, and each optional field unless it omits it.
fn merge_guest(earlier: &Guest, later: &Guest) -> Guest {
    Guest {
        external_id: later.external_id.clone(),
        name: later.name.clone(),
        language: later.language.clone().or_else(|| earlier.language.clone()),
        email: later.email.clone().or_else(|| earlier.email.clone()),
        phone: later.phone.clone().or_else(|| earlier.phone.clone()),
    }
}

/// `later` stored after what `row` holds, as one message at a time would have.
fn merge_stay(row: &mut StayRow, later: &Stay, guest_external_id: &str) {
    if row.status != later.status {
        row.earlier.push(row.status);
        row.status = later.status;
    }
    row.listing_external_id = later.listing_external_id.clone();
    row.guest_external_id = guest_external_id.to_string();
    row.check_in = later.check_in.or(row.check_in);
    row.check_out = later.check_out.or(row.check_out);
    row.total_price_cents = later.total_price_cents.or(row.total_price_cents);
    if later.currency.is_some() {
        row.currency = later.currency.clone();
    }
    if later.payment_status.is_some() {
        row.payment_status = later.payment_status.clone();
    }
}

/// The transitions a stay row records against the status stored before the batch (none for
/// a new reservation): every status it passed through that differs from the one before it.
pub fn status_changes(stored: Option<ReservationStatus>, row: &StayRow) -> Vec<ReservationStatus> {
    let mut last = stored;
    let mut out = Vec::new();
    for status in row.statuses() {
        if last != Some(status) {
            out.push(status);
            last = Some(status);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::channel::Channel;
    use chrono::Utc;

    fn message(thread: &str, guest: Guest, stay: Option<Stay>) -> InboundMessage {
        InboundMessage {
            channel: Channel::parse("airbnb").unwrap(),
            thread_external_id: thread.into(),
            message_external_id: format!("m-{thread}"),
            body: "hi".into(),
            sent_at: Utc::now(),
            guest,
            reservation: stay,
            history: false,
            entry_point: None,
            mood: None,
        }
    }

    fn guest(name: &str, language: Option<&str>, email: Option<&str>) -> Guest {
        Guest {
            external_id: "g1".into(),
            name: name.into(),
            language: language.map(Into::into),
            email: email.map(Into::into),
            phone: None,
        }
    }

    fn stay(status: ReservationStatus, listing_name: Option<&str>, price: Option<i64>) -> Stay {
        Stay {
            channel: Channel::parse("airbnb").unwrap(),
            external_id: "r1".into(),
            status,
            listing_external_id: "l1".into(),
            listing_name: listing_name.map(Into::into),
            check_in: None,
            check_out: None,
            total_price_cents: price,
            currency: None,
            payment_status: None,
            guest: None,
        }
    }

    const ACCOUNT: AccountId = AccountId(1);

    #[test]
    fn a_guest_named_twice_keeps_the_latest_name_and_every_field_given() {
        let a = message("t1", guest("Zoe", Some("pt"), None), None);
        let b = message("t2", guest("Zoë", None, Some("z@x.test")), None);
        let rows = merge_rows([(ACCOUNT, &a), (ACCOUNT, &b)]);
        assert_eq!(rows.guests.len(), 1);
        let g = &rows.guests[0].guest;
        assert_eq!(g.name, "Zoë");
        assert_eq!(g.language.as_deref(), Some("pt"));
        assert_eq!(g.email.as_deref(), Some("z@x.test"));
        assert_eq!(rows.threads.len(), 2);
    }

    #[test]
    fn a_reservation_named_twice_keeps_every_status_it_passed_through() {
        use ReservationStatus::*;
        let a = message(
            "t1",
            guest("Zoe", None, None),
            Some(stay(Inquiry, Some("Loft"), Some(100))),
        );
        let b = message(
            "t1",
            guest("Zoe", None, None),
            Some(stay(Confirmed, None, None)),
        );
        let c = message(
            "t1",
            guest("Zoe", None, None),
            Some(stay(Confirmed, None, None)),
        );
        let rows = merge_rows([(ACCOUNT, &a), (ACCOUNT, &b), (ACCOUNT, &c)]);
        assert_eq!(rows.stays.len(), 1);
        let s = &rows.stays[0];
        assert_eq!(s.statuses().collect::<Vec<_>>(), vec![Inquiry, Confirmed]);
        assert_eq!(s.total_price_cents, Some(100));
        assert_eq!(rows.listings[0].name.as_deref(), Some("Loft"));
        assert_eq!(rows.threads[0].stay_external_id.as_deref(), Some("r1"));
        assert_eq!(status_changes(None, s), vec![Inquiry, Confirmed]);
        assert_eq!(status_changes(Some(Inquiry), s), vec![Confirmed]);
        assert_eq!(status_changes(Some(Confirmed), s), vec![Inquiry, Confirmed]);
    }

    #[test]
    fn a_message_without_a_reservation_keeps_the_threads_earlier_one() {
        let a = message(
            "t1",
            guest("Zoe", None, None),
            Some(stay(ReservationStatus::Request, None, None)),
        );
        let b = message("t1", guest("Zoe", None, None), None);
        let rows = merge_rows([(ACCOUNT, &a), (ACCOUNT, &b)]);
        assert_eq!(rows.threads[0].stay_external_id.as_deref(), Some("r1"));
    }

    #[test]
    fn the_same_keys_in_two_accounts_are_two_rows() {
        let a = message("t1", guest("Zoe", None, None), None);
        let rows = merge_rows([(ACCOUNT, &a), (AccountId(2), &a)]);
        assert_eq!((rows.guests.len(), rows.threads.len()), (2, 2));
    }
}
