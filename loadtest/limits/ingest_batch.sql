-- PostgreSQL's own rate for the rows of new conversations written 50 at a time, as the ingest
-- writer batches them (run by loadtest/limits.sh; one transaction = 50 conversations): the
-- duplicate check, then guests, listings, reservations and their status changes, threads, the
-- open-ticket and previous-agent checks, tickets, messages and both events as set-based
-- statements in one transaction; then the dispatcher's guarded assignments of those tickets
-- and their events in a second, as the server commits them.
\set n random(1, 2000000000)
BEGIN;
SELECT m.external_id FROM generate_series(1, 50) g JOIN messages m ON m.account_id = 1
  AND m.channel = 'airbnb' AND m.external_id = 'm' || :client_id || '-' || :n || '-' || g;
INSERT INTO guests (account_id, channel, external_id, name, language, email, phone)
  SELECT 1, 'airbnb', 'g' || :client_id || '-' || :n || '-' || g, 'Guest', 'en', NULL, NULL
  FROM generate_series(1, 50) g
  ON CONFLICT (account_id, channel, external_id) DO UPDATE SET name = EXCLUDED.name,
    language = COALESCE(EXCLUDED.language, guests.language);
INSERT INTO listings (account_id, external_id, name)
  SELECT 1, 'listing-' || l, 'listing-' || l FROM generate_series(0, 19) l
  ON CONFLICT (account_id, external_id) DO UPDATE SET name = COALESCE(NULL, listings.name);
SELECT r.id FROM generate_series(1, 50) g JOIN reservations r ON r.account_id = 1
  AND r.channel = 'airbnb' AND r.external_id = 'r' || :client_id || '-' || :n || '-' || g
  FOR UPDATE OF r;
WITH made AS (
  INSERT INTO reservations (account_id, channel, external_id, guest_id, listing_id, status)
    SELECT 1, 'airbnb', 'r' || :client_id || '-' || :n || '-' || g, gu.id, li.id, 'inquiry'
    FROM generate_series(1, 50) g
    JOIN guests gu ON gu.account_id = 1 AND gu.channel = 'airbnb'
      AND gu.external_id = 'g' || :client_id || '-' || :n || '-' || g
    JOIN listings li ON li.account_id = 1 AND li.external_id = 'listing-' || (g % 20)
    ON CONFLICT (account_id, channel, external_id) DO NOTHING RETURNING id)
INSERT INTO reservation_status_changes (account_id, reservation_id, status)
  SELECT 1, id, 'inquiry' FROM made;
INSERT INTO threads (account_id, channel, external_id, guest_id, reservation_id)
  SELECT 1, 'airbnb', 't' || :client_id || '-' || :n || '-' || g, r.guest_id, r.id
  FROM generate_series(1, 50) g
  JOIN reservations r ON r.account_id = 1 AND r.channel = 'airbnb'
    AND r.external_id = 'r' || :client_id || '-' || :n || '-' || g
  ON CONFLICT (account_id, channel, external_id) DO UPDATE SET
    reservation_id = COALESCE(EXCLUDED.reservation_id, threads.reservation_id);
SELECT t.thread_id, t.id FROM generate_series(1, 50) g
  JOIN threads th ON th.account_id = 1 AND th.channel = 'airbnb'
    AND th.external_id = 't' || :client_id || '-' || :n || '-' || g
  JOIN tickets t ON t.thread_id = th.id AND t.state <> 'done' ORDER BY t.id FOR UPDATE OF t;
SELECT DISTINCT ON (t.thread_id) t.thread_id, t.assignee_id FROM generate_series(1, 50) g
  JOIN threads th ON th.account_id = 1 AND th.channel = 'airbnb'
    AND th.external_id = 't' || :client_id || '-' || :n || '-' || g
  JOIN tickets t ON t.thread_id = th.id AND t.state = 'done'
  ORDER BY t.thread_id, t.closed_at DESC NULLS LAST, t.id DESC;
WITH opened AS (
  INSERT INTO tickets (account_id, thread_id, state, stage, channel, language, listing_group, guest_id,
      reservation_id, listing_id, awaiting_reply_since)
    SELECT 1, th.id, 'queued', 'pre_booking', 'airbnb', 'en', NULL, th.guest_id, th.reservation_id,
      r.listing_id, now()
    FROM generate_series(1, 50) g
    JOIN threads th ON th.account_id = 1 AND th.channel = 'airbnb'
      AND th.external_id = 't' || :client_id || '-' || :n || '-' || g
    JOIN reservations r ON r.id = th.reservation_id
    RETURNING id, thread_id),
received AS (
  INSERT INTO messages (account_id, thread_id, ticket_id, channel, external_id, direction, body, sent_at)
    SELECT 1, o.thread_id, o.id, 'airbnb', 'm' || substr(th.external_id, 2), 'inbound',
      'Hello! Is the apartment available next weekend?', now()
    FROM opened o JOIN threads th ON th.id = o.thread_id
    ON CONFLICT (account_id, channel, external_id) DO NOTHING RETURNING id, ticket_id)
INSERT INTO events (account_id, kind, ticket_id, data, at)
  SELECT 1, 'ticket.created', id, '{"stage": "pre_booking", "channel": "airbnb"}'::jsonb, now() FROM opened
  UNION ALL
  SELECT 1, 'message.received', ticket_id, jsonb_build_object('message_id', id), now() FROM received;
COMMIT;
BEGIN;
WITH assigned AS (
  UPDATE tickets t SET state = 'assigned', assignee_id = 2 + (t.id % 50), assigned_at = now()
    FROM generate_series(1, 50) g
    JOIN threads th ON th.account_id = 1 AND th.channel = 'airbnb'
      AND th.external_id = 't' || :client_id || '-' || :n || '-' || g
    WHERE t.thread_id = th.id AND t.account_id = 1 AND t.state = 'queued' AND t.state <> 'done'
    RETURNING t.id, t.assignee_id)
INSERT INTO events (account_id, kind, ticket_id, agent_id, reason)
  SELECT 1, 'ticket.assigned', id, assignee_id, 'new' FROM assigned;
COMMIT;
