-- Guest reviews delivered by the channels (POST /ingest/reviews), one per channel review id,
-- each about one stored reservation. Reports count them by `submitted_at` and credit each to
-- the agent who answered that reservation most (domain::metrics::reviews).

CREATE TABLE reviews (
    id             BIGSERIAL PRIMARY KEY,
    account_id     BIGINT NOT NULL,
    channel        TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    reservation_id BIGINT NOT NULL,
    overall        SMALLINT NOT NULL CHECK (overall BETWEEN 1 AND 5),
    communication  SMALLINT CHECK (communication BETWEEN 1 AND 5),
    cleanliness    SMALLINT CHECK (cleanliness BETWEEN 1 AND 5),
    accuracy       SMALLINT CHECK (accuracy BETWEEN 1 AND 5),
    location       SMALLINT CHECK (location BETWEEN 1 AND 5),
    value          SMALLINT CHECK (value BETWEEN 1 AND 5),
    text           TEXT,
    submitted_at   TIMESTAMPTZ NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, channel, external_id),
    FOREIGN KEY (account_id, reservation_id) REFERENCES reservations (account_id, id)
);
CREATE INDEX reviews_by_submitted ON reviews (account_id, submitted_at);
