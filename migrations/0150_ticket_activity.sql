-- The latest-activity order of ticket lists (`GET /tickets?sort=activity`): a ticket's
-- activity is its newest message, guest's or agent's, or its creation if that is later.
-- The writers that store a message on an existing ticket (a guest's message on an open
-- ticket, an agent's reply) raise `last_activity_at` in the statement that already updates
-- the ticket row; a ticket with no message after its creation keeps NULL.
ALTER TABLE tickets ADD COLUMN last_activity_at timestamptz;

UPDATE tickets t SET last_activity_at = m.newest
FROM (SELECT ticket_id, max(sent_at) AS newest FROM messages
      WHERE ticket_id IS NOT NULL GROUP BY ticket_id) m
WHERE t.id = m.ticket_id AND m.newest > t.created_at;

-- The list's key (GREATEST skips NULL) and its tie-break, newest first.
CREATE INDEX tickets_by_activity
    ON tickets (account_id, (GREATEST(created_at, last_activity_at)) DESC, id DESC);
