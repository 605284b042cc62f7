-- Routing groups (issue 13): an account's groups with their rules, coverage floor and
-- overflow; which groups an agent belongs to; the group a ticket was routed to when it was
-- opened (and the inbound address it came in on); the group an alert concerns.
CREATE TABLE routing_groups (
    id                     BIGSERIAL PRIMARY KEY,
    account_id             BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL,
    channels               TEXT[] NOT NULL DEFAULT '{}',
    listing_groups         TEXT[] NOT NULL DEFAULT '{}',
    languages              TEXT[] NOT NULL DEFAULT '{}',
    entry_points           TEXT[] NOT NULL DEFAULT '{}',
    min_agents             INTEGER NOT NULL DEFAULT 0 CHECK (min_agents >= 0),
    overflow_group_id      BIGINT,
    overflow_after_seconds INTEGER CHECK (overflow_after_seconds > 0),
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (account_id, id),
    UNIQUE (account_id, name),
    -- An overflow target is a group of the same account; it cannot be deleted while named.
    FOREIGN KEY (account_id, overflow_group_id) REFERENCES routing_groups (account_id, id),
    CHECK (overflow_group_id IS DISTINCT FROM id),
    CHECK ((overflow_group_id IS NULL) = (overflow_after_seconds IS NULL))
);

-- The groups an agent belongs to (checked against routing_groups when a card is saved; a
-- deleted group is removed from every card in the same transaction).
ALTER TABLE agent_cards ADD COLUMN groups BIGINT[] NOT NULL DEFAULT '{}';

-- The channel's inbound address a message came in on (the number dialled, the mailbox).
ALTER TABLE tickets ADD COLUMN entry_point TEXT;
-- The group the ticket was routed to when it was opened (NULL: no group matched).
ALTER TABLE tickets ADD COLUMN group_id BIGINT REFERENCES routing_groups (id) ON DELETE SET NULL;
CREATE INDEX tickets_queued_by_group ON tickets (account_id, group_id, created_at)
    WHERE state = 'queued';

-- alerts.group_id (there since 0081, always NULL until now) names a routing group.
ALTER TABLE alerts ADD FOREIGN KEY (group_id) REFERENCES routing_groups (id) ON DELETE SET NULL;
