-- A ticket a manager assigned stays with that agent: no automatic move (rebalancing, release
-- on leave to another agent) takes it, until the agent opens it or a manager moves it.
ALTER TABLE tickets ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT false;
