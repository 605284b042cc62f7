-- Covering indexes so a month's report over a million tickets reads only index pages:
-- replies by time with every column the report aggregates, events by kind and time with the
-- agent and reason, and tickets by reservation for conversion.

DROP INDEX IF EXISTS messages_replies_by_time;
CREATE INDEX messages_replies_by_time ON messages (account_id, sent_at)
    INCLUDE (author_id, ticket_id, response_seconds, first_response_seconds, stage)
    WHERE direction = 'outbound';

DROP INDEX IF EXISTS events_by_kind_time;
CREATE INDEX events_by_kind_time ON events (account_id, kind, at) INCLUDE (agent_id, reason, ticket_id);

CREATE INDEX tickets_by_reservation ON tickets (reservation_id) WHERE reservation_id IS NOT NULL;
