-- Internal notes on tickets: written by the team for the team, never sent to the guest.
-- They live in their own table, apart from `messages`, so nothing that reads messages to
-- deliver them (or counts them as replies) can ever see a note.

CREATE TABLE ticket_notes (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    thread_id   BIGINT NOT NULL,
    author_id   BIGINT NOT NULL,
    body        TEXT NOT NULL,
    -- The users the note mentions (`@name`), resolved when it was written.
    mentions    BIGINT[] NOT NULL DEFAULT '{}',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, ticket_id) REFERENCES tickets (account_id, id),
    FOREIGN KEY (account_id, thread_id) REFERENCES threads (account_id, id),
    FOREIGN KEY (account_id, author_id) REFERENCES users (account_id, id)
);
CREATE INDEX ticket_notes_by_thread ON ticket_notes (thread_id, created_at, id);
