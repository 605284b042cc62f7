-- Replies reach the guest: channel connections (where a bridge wants our replies), the outbox
-- of webhook deliveries, and each outbound message's delivery status.

CREATE TABLE connections (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    name       TEXT NOT NULL,
    -- The channels it serves; empty means every channel.
    channels   TEXT[] NOT NULL DEFAULT '{}',
    url        TEXT NOT NULL,
    -- `whsec_…`, kept as given: the server signs every delivery with it.
    secret     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, id)
);
CREATE INDEX connections_by_account ON connections (account_id, id);

-- One row per event and connection. `pending` rows are the outbox: the delivery worker claims
-- a due one with FOR UPDATE SKIP LOCKED and holds the lock while it sends.
CREATE TABLE deliveries (
    id               BIGSERIAL PRIMARY KEY,
    account_id       BIGINT NOT NULL,
    connection_id    BIGINT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    event            TEXT NOT NULL CHECK (event IN ('message.created', 'connection.test')),
    message_id       BIGINT REFERENCES messages (id),
    thread_id        BIGINT,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Retries stop once the retry window from here has passed (a manual retry restarts it).
    window_from      TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_status_code INT,
    last_error       TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((event = 'message.created') = (message_id IS NOT NULL))
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_thread_pending ON deliveries (connection_id, thread_id, id) WHERE status = 'pending';
CREATE INDEX deliveries_by_connection ON deliveries (connection_id, id DESC);
CREATE INDEX deliveries_by_message ON deliveries (message_id) WHERE message_id IS NOT NULL;

-- NULL for inbound messages and replies stored before deliveries existed.
ALTER TABLE messages
    ADD COLUMN delivery_status TEXT CHECK (delivery_status IN ('queued', 'sent', 'delivered', 'failed')),
    ADD COLUMN delivery_attempts INT NOT NULL DEFAULT 0,
    ADD COLUMN delivery_error TEXT;
-- The pull feed (`GET /outbound?after=`) walks an account's replies by id.
CREATE INDEX messages_outbound_feed ON messages (account_id, id) WHERE delivery_status IS NOT NULL;
