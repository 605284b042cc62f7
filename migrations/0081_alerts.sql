-- Alerts for managers (issue 13): each kind is raised at most once per ticket; a manager
-- acknowledges it. An account may have a notification webhook (Slack-compatible) for them.
CREATE TABLE alerts (
    id          BIGSERIAL PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN
                    ('sla_warning', 'sla_breach', 'queue_wait', 'agent_left', 'pending_waiting')),
    ticket_id   BIGINT REFERENCES tickets (id) ON DELETE CASCADE,
    group_id    BIGINT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    acked_at    TIMESTAMPTZ,
    acked_by    BIGINT REFERENCES users (id)
);
CREATE UNIQUE INDEX alerts_once_per_ticket ON alerts (account_id, kind, ticket_id);
CREATE INDEX alerts_open ON alerts (account_id, id) WHERE acked_at IS NULL;

ALTER TABLE accounts ADD COLUMN notification_webhook_url TEXT
    CHECK (length(notification_webhook_url) <= 2048);
