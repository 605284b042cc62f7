-- To-dos on tickets and the ticket's mood (issue 14, part): the guest views `todos`,
-- `waiting_refunds` and `staying_unhappy` read them.

CREATE TABLE ticket_todos (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL,
    ticket_id   BIGINT NOT NULL,
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('refund', 'follow_up', 'task')),
    due_at      TIMESTAMPTZ,
    done        BOOLEAN NOT NULL DEFAULT false,
    created_by  BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, ticket_id) REFERENCES tickets (account_id, id),
    FOREIGN KEY (account_id, created_by) REFERENCES users (account_id, id)
);
CREATE INDEX ticket_todos_by_ticket ON ticket_todos (ticket_id, id);
-- The views look for open to-dos only.
CREATE INDEX ticket_todos_open ON ticket_todos (account_id, kind, ticket_id) WHERE NOT done;

-- The latest mood (1–5) wins: who set it (a user, or null for the bridge) and when.
ALTER TABLE tickets
    ADD COLUMN mood SMALLINT CHECK (mood BETWEEN 1 AND 5),
    ADD COLUMN mood_set_by BIGINT,
    ADD COLUMN mood_set_at TIMESTAMPTZ;
