-- Follow-ups (issue 14): an agent parks a ticket until a time, with a note. While
-- `follow_up_at` is set the ticket is off the dispatcher's board and out of the working tabs;
-- at that time (or as soon as the guest writes again) it comes back to `follow_up_agent`.

ALTER TABLE tickets
    ADD COLUMN follow_up_at TIMESTAMPTZ,
    ADD COLUMN follow_up_note TEXT,
    -- Who gets it back (the assignee when it was parked; null: normal dispatching).
    ADD COLUMN follow_up_agent BIGINT,
    ADD COLUMN follow_up_by BIGINT,
    ADD COLUMN follow_up_set_at TIMESTAMPTZ;

-- The sweeper looks for due follow-ups only.
CREATE INDEX tickets_follow_ups ON tickets (follow_up_at) WHERE follow_up_at IS NOT NULL;
