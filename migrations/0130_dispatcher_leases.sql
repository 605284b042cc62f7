-- Which node dispatches each account (issue 12). The holder renews its lease before
-- `expires_at`; any node takes over one that lapsed, with the next `epoch`. Every dispatcher
-- commit checks, inside its transaction, that holder and epoch are still its own (fencing).
CREATE TABLE dispatcher_leases (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    holder     TEXT NOT NULL,
    epoch      BIGINT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dispatcher_leases_expiry ON dispatcher_leases (expires_at);
