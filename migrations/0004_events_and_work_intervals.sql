-- The append-only event log (every state change, its time, actor and reason; the metrics are
-- computed from it) and the work-timer and intake-pause intervals.

CREATE TABLE events (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    kind       TEXT NOT NULL,
    ticket_id  BIGINT,
    -- The agent the event is about (the new assignee, the agent whose timer started...).
    agent_id   BIGINT,
    -- Who caused it: a user, or NULL for the system (dispatcher, ingest).
    actor_id   BIGINT,
    reason     TEXT,
    data       JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX events_by_account_time ON events (account_id, at);
CREATE INDEX events_by_agent_time ON events (account_id, agent_id, at) WHERE agent_id IS NOT NULL;
CREATE INDEX events_by_ticket ON events (ticket_id, at) WHERE ticket_id IS NOT NULL;

CREATE FUNCTION events_are_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_are_append_only();

-- Timer-running intervals; ended_at is NULL while the timer runs.
CREATE TABLE work_intervals (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX work_intervals_one_running ON work_intervals (user_id) WHERE ended_at IS NULL;
CREATE INDEX work_intervals_by_time ON work_intervals (account_id, user_id, started_at);

-- Intake-paused intervals; ended_at is NULL while intake is paused.
CREATE TABLE intake_pauses (
    id         BIGSERIAL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    ended_at   TIMESTAMPTZ,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE UNIQUE INDEX intake_pauses_one_open ON intake_pauses (user_id) WHERE ended_at IS NULL;
CREATE INDEX intake_pauses_by_time ON intake_pauses (account_id, user_id, started_at);
