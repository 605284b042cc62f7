-- The booking calendar and the `overbooking` view (issue 14) look up a listing's stays by
-- dates; cancelled reservations hold no nights.
CREATE INDEX reservations_by_listing ON reservations (listing_id, check_in)
    WHERE status <> 'cancelled' AND check_in IS NOT NULL AND check_out IS NOT NULL;
