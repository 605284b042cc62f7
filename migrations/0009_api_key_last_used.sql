-- When each ingest key was last used (kept to the minute), so managers can tell a live
-- bridge's key from a forgotten one before revoking it.
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;
