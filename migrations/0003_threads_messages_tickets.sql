-- Conversations: threads, their messages, and the tickets that are the unit of work.

CREATE TABLE threads (
    id             BIGSERIAL PRIMARY KEY,
    account_id     BIGINT NOT NULL,
    channel        TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    guest_id       BIGINT NOT NULL,
    reservation_id BIGINT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, channel, external_id),
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, guest_id) REFERENCES guests (account_id, id),
    FOREIGN KEY (account_id, reservation_id) REFERENCES reservations (account_id, id)
);

CREATE TABLE tickets (
    id                   BIGSERIAL PRIMARY KEY,
    account_id           BIGINT NOT NULL,
    thread_id            BIGINT NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('queued', 'assigned', 'opened', 'pending', 'done')),
    stage                TEXT NOT NULL CHECK (stage IN ('pre_booking', 'booked', 'staying', 'post_stay')),
    channel              TEXT NOT NULL,
    language             TEXT,
    listing_group        TEXT,
    guest_id             BIGINT NOT NULL,
    reservation_id       BIGINT,
    listing_id           BIGINT,
    assignee_id          BIGINT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    assigned_at          TIMESTAMPTZ,
    opened_at            TIMESTAMPTZ,
    first_response_at    TIMESTAMPTZ,
    -- sent_at of the oldest inbound message not yet answered; NULL when answered.
    awaiting_reply_since TIMESTAMPTZ,
    pending_note         TEXT,
    closed_at            TIMESTAMPTZ,
    UNIQUE (account_id, id),
    FOREIGN KEY (account_id, thread_id) REFERENCES threads (account_id, id),
    FOREIGN KEY (account_id, guest_id) REFERENCES guests (account_id, id),
    FOREIGN KEY (account_id, assignee_id) REFERENCES users (account_id, id),
    -- A queued ticket has nobody; every other state has somebody (done: who closed it).
    CHECK ((state = 'queued') = (assignee_id IS NULL))
);
-- At most one open ticket per thread: a new one starts only after the last is done.
CREATE UNIQUE INDEX tickets_one_open_per_thread ON tickets (thread_id) WHERE state <> 'done';
CREATE INDEX tickets_inbox ON tickets (account_id, assignee_id, state, created_at DESC);
CREATE INDEX tickets_by_state ON tickets (account_id, state, created_at DESC);
CREATE INDEX tickets_unanswered ON tickets (account_id, awaiting_reply_since) WHERE awaiting_reply_since IS NOT NULL;
CREATE INDEX tickets_by_created ON tickets (account_id, created_at DESC, id DESC);

CREATE TABLE messages (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    thread_id   BIGINT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    channel     TEXT NOT NULL,
    -- The channel's id for inbound messages; NULL for messages we send.
    external_id TEXT,
    direction   TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    author_id   BIGINT,
    body        TEXT NOT NULL,
    sent_at     TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, channel, external_id),
    FOREIGN KEY (account_id, thread_id) REFERENCES threads (account_id, id),
    FOREIGN KEY (account_id, ticket_id) REFERENCES tickets (account_id, id),
    FOREIGN KEY (account_id, author_id) REFERENCES users (account_id, id),
    CHECK ((direction = 'inbound') = (external_id IS NOT NULL))
);
CREATE INDEX messages_by_thread ON messages (thread_id, sent_at, id);
CREATE INDEX messages_by_ticket ON messages (ticket_id, sent_at, id);
CREATE INDEX messages_outbound_by_author ON messages (account_id, author_id, sent_at) WHERE direction = 'outbound';
