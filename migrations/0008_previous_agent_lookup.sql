-- A new ticket looks up who closed its thread's previous ticket (the "previous agent" rule of
-- SPEC §2). Without this index that lookup scanned every ticket of every account.
CREATE INDEX tickets_closed_by_thread ON tickets (thread_id, closed_at DESC NULLS LAST, id DESC)
    WHERE state = 'done';
