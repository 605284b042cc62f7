-- PostgreSQL's own rate for the rows one guest message writes (run by loadtest/limits.sh):
-- the same statements as `switchboard`'s ingest of a new conversation (guest, listing,
-- reservation and its status change, thread, duplicate check, open-ticket check, previous
-- agent, ticket, event, message, event) in one transaction, then the dispatcher's guarded
-- assignment and its event in a second, as the server commits them.
\set n random(1, 2000000000)
\set agent random(1, 50)
BEGIN;
SELECT id FROM accounts WHERE id = 1;
INSERT INTO guests (account_id, channel, external_id, name, language, email, phone)
  VALUES (1, 'airbnb', 'g' || :client_id || '-' || :n, 'Guest', 'en', NULL, NULL)
  ON CONFLICT (account_id, channel, external_id) DO UPDATE SET name = EXCLUDED.name,
    language = COALESCE(EXCLUDED.language, guests.language) RETURNING id AS guest \gset
INSERT INTO listings (account_id, external_id, name) VALUES (1, 'listing-' || (:n % 20), 'listing-' || (:n % 20))
  ON CONFLICT (account_id, external_id) DO UPDATE SET name = COALESCE(NULL, listings.name) RETURNING id AS listing \gset
SELECT id FROM reservations WHERE account_id = 1 AND channel = 'airbnb' AND external_id = 'r' || :client_id || '-' || :n FOR UPDATE;
INSERT INTO reservations (account_id, channel, external_id, guest_id, listing_id, status)
  VALUES (1, 'airbnb', 'r' || :client_id || '-' || :n, :guest, :listing, 'inquiry')
  ON CONFLICT (account_id, channel, external_id) DO NOTHING RETURNING id AS reservation \gset
INSERT INTO reservation_status_changes (account_id, reservation_id, status) VALUES (1, :reservation, 'inquiry');
INSERT INTO threads (account_id, channel, external_id, guest_id, reservation_id)
  VALUES (1, 'airbnb', 't' || :client_id || '-' || :n, :guest, :reservation)
  ON CONFLICT (account_id, channel, external_id) DO UPDATE SET
    reservation_id = COALESCE(EXCLUDED.reservation_id, threads.reservation_id) RETURNING id AS thread \gset
SELECT ticket_id, id, thread_id FROM messages WHERE account_id = 1 AND channel = 'airbnb' AND external_id = 'm' || :client_id || '-' || :n;
SELECT id FROM tickets WHERE thread_id = :thread AND state <> 'done' FOR UPDATE;
SELECT assignee_id FROM tickets WHERE thread_id = :thread AND state = 'done' ORDER BY closed_at DESC NULLS LAST, id DESC LIMIT 1;
INSERT INTO tickets (account_id, thread_id, state, stage, channel, language, listing_group, guest_id, reservation_id,
    listing_id, awaiting_reply_since)
  VALUES (1, :thread, 'queued', 'pre_booking', 'airbnb', 'en', NULL, :guest, :reservation, :listing, now())
  RETURNING id AS ticket \gset
INSERT INTO events (account_id, kind, ticket_id, data, at) VALUES (1, 'ticket.created', :ticket, '{}'::jsonb, now());
INSERT INTO messages (account_id, thread_id, ticket_id, channel, external_id, direction, body, sent_at)
  VALUES (1, :thread, :ticket, 'airbnb', 'm' || :client_id || '-' || :n, 'inbound',
    'Hello! Is the apartment available next weekend?', now())
  ON CONFLICT (account_id, channel, external_id) DO NOTHING RETURNING id;
INSERT INTO events (account_id, kind, ticket_id, data, at) VALUES (1, 'message.received', :ticket, '{}'::jsonb, now());
COMMIT;
BEGIN;
UPDATE tickets t SET state = 'assigned', assignee_id = v.agent, assigned_at = now()
  FROM unnest(ARRAY[:ticket]::bigint[], ARRAY[:agent + 1]::bigint[]) AS v(id, agent)
  WHERE t.account_id = 1 AND t.id = v.id AND t.state = 'queued';
INSERT INTO events (account_id, kind, ticket_id, agent_id, reason)
  SELECT 1, 'ticket.assigned', v.id, v.agent, v.reason
  FROM unnest(ARRAY[:ticket]::bigint[], ARRAY[:agent + 1]::bigint[], ARRAY['new']::text[]) AS v(id, agent, reason);
COMMIT;
