//! The dispatcher's commit of tickets leaving the queue: one statement, its own transaction,
//! on a connection set up as the dispatcher's are. It moves every ticket of its batch or none,
//! and nothing at all once the lease is another node's.

use crate::helpers::TestDatabase;
use sqlx::{Executor, PgConnection, PgPool};
use std::time::Duration;
use switchboard::domain::dispatch::Reason;
use switchboard::domain::ids::{AccountId, TicketId, UserId};
use switchboard::startup::MIGRATOR;
use switchboard::store::dispatch_state::assign_queued_many;
use switchboard::store::leases::{self, Held};
use switchboard::store::tickets::TicketRecord;
use switchboard::store::UNFLUSHED_PROBING_SESSION;

const NODE: &str = "node-a";

/// An account with one agent, three queued tickets and this node's lease.
struct Desk {
    pool: PgPool,
    agent: UserId,
    tickets: Vec<TicketId>,
    lease: Held,
}

async fn desk(db: &TestDatabase) -> Desk {
    let pool = PgPool::connect(&db.url).await.unwrap();
    MIGRATOR.run(&pool).await.unwrap();
    let account: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (slug, name) VALUES ('desk', 'Desk') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let agent: i64 = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, name, role, password_hash) \
         VALUES ($1, 'a@desk.test', 'Ana', 'agent', 'x') RETURNING id",
    )
    .bind(account)
    .fetch_one(&pool)
    .await
    .unwrap();
    let tickets: Vec<i64> = sqlx::query_scalar(
        "WITH g AS (INSERT INTO guests (account_id, channel, external_id, name) \
           SELECT $1, 'airbnb', 'g' || n, 'Guest' FROM generate_series(1, 3) n RETURNING id), \
         t AS (INSERT INTO threads (account_id, channel, external_id, guest_id) \
           SELECT $1, 'airbnb', 't' || id, id FROM g RETURNING id, guest_id) \
         INSERT INTO tickets (account_id, thread_id, state, stage, channel, guest_id) \
           SELECT $1, id, 'queued', 'booked', 'airbnb', guest_id FROM t ORDER BY id RETURNING id",
    )
    .bind(account)
    .fetch_all(&pool)
    .await
    .unwrap();
    let lease = leases::acquire(&pool, AccountId(account), NODE, Duration::from_secs(60))
        .await
        .unwrap()
        .expect("nobody else holds the lease");
    Desk {
        pool,
        agent: UserId(agent),
        tickets: tickets.into_iter().map(TicketId).collect(),
        lease,
    }
}

impl Desk {
    /// Changes the desk behind the dispatcher's back.
    async fn meanwhile(&self, sql: &str) {
        sqlx::query(sql).execute(&self.pool).await.unwrap();
    }

    /// Commits the dispatcher's assignment of `tickets` to the agent on `conn`.
    async fn assign(&self, conn: &mut PgConnection, tickets: &[TicketId]) -> Vec<TicketRecord> {
        let assignments: Vec<(TicketId, UserId, Reason)> = tickets
            .iter()
            .map(|t| (*t, self.agent, Reason::New))
            .collect();
        assign_queued_many(conn, (NODE, self.lease), &assignments)
            .await
            .unwrap()
    }
}

/// A connection whose session is the dispatcher's for this statement.
async fn dispatcher_connection(db: &TestDatabase) -> PgConnection {
    use sqlx::Connection;
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    conn.execute(UNFLUSHED_PROBING_SESSION).await.unwrap();
    conn
}

async fn states(desk: &Desk) -> Vec<(String, Option<i64>)> {
    sqlx::query_as("SELECT state, assignee_id FROM tickets WHERE id = ANY($1) ORDER BY id")
        .bind(desk.tickets.iter().map(|t| t.0).collect::<Vec<i64>>())
        .fetch_all(&desk.pool)
        .await
        .unwrap()
}

async fn assigned_events(desk: &Desk) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM events WHERE kind = 'ticket.assigned'")
        .fetch_one(&desk.pool)
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_batch_with_one_ticket_no_longer_queued_moves_none_of_them() {
    let db = TestDatabase::create().await;
    let desk = desk(&db).await;
    let mut conn = dispatcher_connection(&db).await;
    // The middle ticket was taken by a manager after the dispatcher decided.
    desk.meanwhile(&format!(
        "UPDATE tickets SET state = 'assigned', assignee_id = {} WHERE id = {}",
        desk.agent.0, desk.tickets[1].0
    ))
    .await;

    let moved = desk.assign(&mut conn, &desk.tickets).await;

    assert!(moved.is_empty(), "moved {moved:?}");
    let queued = ("queued".to_string(), None);
    let taken = ("assigned".to_string(), Some(desk.agent.0));
    assert_eq!(
        states(&desk).await,
        vec![queued.clone(), taken, queued],
        "the others stay queued"
    );
    assert_eq!(assigned_events(&desk).await, 0, "nothing is logged");

    // Without the taken ticket the same statement moves the rest, and logs each of them.
    let rest = [desk.tickets[0], desk.tickets[2]];
    let moved = desk.assign(&mut conn, &rest).await;
    let ids: Vec<TicketId> = moved.iter().map(|t| t.id).collect();
    assert_eq!(ids, rest);
    assert!(moved.iter().all(|t| t.assignee_id == Some(desk.agent)));
    assert_eq!(assigned_events(&desk).await, 2);
}

#[actix_web::test]
async fn a_batch_under_a_lease_taken_over_moves_nothing() {
    let db = TestDatabase::create().await;
    let desk = desk(&db).await;
    let mut conn = dispatcher_connection(&db).await;
    // Another node took the lease over: its epoch moved on.
    desk.meanwhile("UPDATE dispatcher_leases SET holder = 'node-b', epoch = epoch + 1")
        .await;

    let moved = desk.assign(&mut conn, &desk.tickets).await;

    assert!(moved.is_empty());
    assert!(states(&desk)
        .await
        .iter()
        .all(|(state, _)| state == "queued"));
    assert_eq!(assigned_events(&desk).await, 0);
}
