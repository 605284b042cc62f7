-- A reply's delivery status changes two or three times within a second of its sending (sent,
-- delivered, read), and PostgreSQL can update a row in place (a heap-only tuple, no index
-- touched) only when no column any index names changes and the row's page has room. The pull
-- feed's index named `delivery_status` in its predicate, so every outcome and receipt wrote a
-- new entry into all eight indexes of `messages`. The feed now walks the outbound messages
-- (every message with a delivery status is one) and filters the status, and each page keeps a
-- tenth free for those updates.

DROP INDEX messages_outbound_feed;
CREATE INDEX messages_outbound_feed ON messages (account_id, id) WHERE direction = 'outbound';
ALTER TABLE messages SET (fillfactor = 90);
