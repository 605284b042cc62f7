-- What the channels tell us about guests, listings and reservations.

CREATE TABLE guests (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    channel     TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    language    TEXT,
    email       TEXT,
    phone       TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, channel, external_id),
    UNIQUE (account_id, id)
);
CREATE INDEX guests_name_search ON guests (account_id, lower(name) text_pattern_ops);

CREATE TABLE listings (
    id            BIGSERIAL PRIMARY KEY,
    account_id    BIGINT NOT NULL REFERENCES accounts (id),
    external_id   TEXT NOT NULL,
    name          TEXT NOT NULL,
    listing_group TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, external_id),
    UNIQUE (account_id, id)
);

-- Prices are kept in minor units (cents) so sums are exact.
CREATE TABLE reservations (
    id                BIGSERIAL PRIMARY KEY,
    account_id        BIGINT NOT NULL REFERENCES accounts (id),
    channel           TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    guest_id          BIGINT,
    listing_id        BIGINT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('inquiry', 'request', 'confirmed', 'cancelled')),
    check_in          DATE,
    check_out         DATE,
    total_price_cents BIGINT,
    currency          TEXT,
    payment_status    TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The first time the reservation became confirmed (conversion counts from it).
    confirmed_at      TIMESTAMPTZ,
    UNIQUE (account_id, channel, external_id),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, guest_id) REFERENCES guests (account_id, id),
    FOREIGN KEY (account_id, listing_id) REFERENCES listings (account_id, id)
);
CREATE INDEX reservations_external_search ON reservations (account_id, external_id);
CREATE INDEX reservations_confirmed ON reservations (account_id, confirmed_at) WHERE confirmed_at IS NOT NULL;

-- Every status a reservation passed through, with when it changed.
CREATE TABLE reservation_status_changes (
    id             BIGSERIAL PRIMARY KEY,
    account_id     BIGINT NOT NULL,
    reservation_id BIGINT NOT NULL,
    status         TEXT NOT NULL,
    changed_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, reservation_id) REFERENCES reservations (account_id, id)
);
CREATE INDEX reservation_status_changes_by_reservation ON reservation_status_changes (reservation_id, changed_at);
