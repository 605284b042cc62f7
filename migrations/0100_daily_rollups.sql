-- Daily per-agent rollups of the countable report figures (SPEC §4), in the account's
-- timezone's days, maintained from the raw rows by the rollup worker: a day is rolled up once
-- it has settled, by replacing that day's rows and moving the watermark in one transaction,
-- so a crash or a second worker can redo a day but never count it twice.

CREATE TABLE agent_day_rollups (
    account_id         BIGINT NOT NULL REFERENCES accounts (id),
    day                DATE NOT NULL,
    agent_id           BIGINT NOT NULL,
    incoming           BIGINT NOT NULL,
    -- Tickets taken from the agent, by reason: {"rebalanced": 3, ...}.
    reassigned_away    JSONB NOT NULL,
    closed             BIGINT NOT NULL,
    replies            BIGINT NOT NULL,
    timed_replies      BIGINT NOT NULL,
    response_sum       DOUBLE PRECISION NOT NULL,
    within_sla         BIGINT NOT NULL,
    pre_booking_timed  BIGINT NOT NULL,
    pre_booking_sum    DOUBLE PRECISION NOT NULL,
    post_booking_timed BIGINT NOT NULL,
    post_booking_sum   DOUBLE PRECISION NOT NULL,
    first_responses    BIGINT NOT NULL,
    first_response_sum DOUBLE PRECISION NOT NULL,
    work_seconds       DOUBLE PRECISION NOT NULL,
    invisible_seconds  DOUBLE PRECISION NOT NULL,
    -- The response-time sketch (domain/metrics/sketch.rs): bucket numbers and their counts.
    sketch_buckets     INT[] NOT NULL,
    sketch_counts      BIGINT[] NOT NULL,
    PRIMARY KEY (account_id, day, agent_id)
);

-- How far each account's rollups reach, and the settings they were counted with: rollups of
-- another timezone or SLA are not used (and are rebuilt by the worker).
CREATE TABLE rollup_watermarks (
    account_id     BIGINT PRIMARY KEY REFERENCES accounts (id),
    rolled_through DATE NOT NULL,
    timezone       TEXT NOT NULL,
    sla_seconds    INT NOT NULL
);

-- Conversion stays on the raw replies (distinct tickets over the period); this index lets it
-- read only the pre-booking ones.
CREATE INDEX messages_pre_booking_replies ON messages (account_id, sent_at)
    INCLUDE (author_id, ticket_id) WHERE direction = 'outbound' AND stage = 'pre_booking';
