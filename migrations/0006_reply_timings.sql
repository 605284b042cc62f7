-- Each reply records, when it is sent, how long the guest waited (from the oldest inbound
-- message not yet answered; NULL when nothing was waiting) and, for a ticket's first reply, the
-- time since the ticket was created; plus the ticket's stage. Reports aggregate these directly.

ALTER TABLE messages
    ADD COLUMN response_seconds DOUBLE PRECISION,
    ADD COLUMN first_response_seconds DOUBLE PRECISION,
    ADD COLUMN stage TEXT;

CREATE INDEX messages_replies_by_time ON messages (account_id, sent_at) WHERE direction = 'outbound';
CREATE INDEX events_by_kind_time ON events (account_id, kind, at);
