-- The daily digest of missed tickets (issue 13): one row per account and local day, inserted by
-- whichever node sends that day's digest, so it goes out once.
CREATE TABLE digests (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day        DATE NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, day)
);
