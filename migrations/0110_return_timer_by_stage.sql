-- A return timer of its own per booking stage (issue 13), in place of the account's
-- `return_after_seconds` for the stages listed: {"pre_booking": 120, ...}.
ALTER TABLE accounts ADD COLUMN return_after_by_stage JSONB NOT NULL DEFAULT '{}';
