-- A backfilled message (`history: true` on ingest) is kept in its thread without opening a
-- ticket: it has no ticket, and no event or metric counts it.
ALTER TABLE messages ALTER COLUMN ticket_id DROP NOT NULL;
ALTER TABLE messages ADD CONSTRAINT messages_ticket_unless_history
    CHECK (ticket_id IS NOT NULL OR direction = 'inbound');
