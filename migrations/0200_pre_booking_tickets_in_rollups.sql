-- Each agent-day rollup also lists the distinct pre-booking tickets the agent replied to that
-- day, so a period's "pre-booking tickets replied to" (conversion's denominator, distinct over
-- the whole period) is the union of the days' short lists instead of a scan of the period's
-- replies. Rollups counted before the column existed lack the lists: they are forgotten here,
-- and the rollup worker counts them again from the raw rows (reports meanwhile read raw rows).

ALTER TABLE agent_day_rollups ADD COLUMN pre_booking_tickets BIGINT[] NOT NULL DEFAULT '{}';
ALTER TABLE agent_day_rollups ALTER COLUMN pre_booking_tickets DROP DEFAULT;
DELETE FROM agent_day_rollups;
DELETE FROM rollup_watermarks;
