-- The return timer (issue 13): an assigned ticket not opened within this many seconds moves
-- on to another agent. NULL: off (the default).
ALTER TABLE accounts
    ADD COLUMN return_after_seconds INTEGER
        CHECK (return_after_seconds BETWEEN 1 AND 604800);
