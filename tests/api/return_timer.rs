//! The return timer: an assigned ticket its agent does not open within
//! `return_after_seconds` moves to another agent (reason `return_timer`), or back to the queue
//! when nobody else may take it; the agent who let it lapse is told, the report counts it, and
//! a ticket a manager placed never moves.

use crate::helpers::{assert_error, inquiry, spawn_app};
use serde_json::{json, Value};
use std::time::Duration;

#[actix_web::test]
async fn an_unopened_ticket_moves_on_then_waits_in_the_queue_and_the_report_counts_it() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    let mut ben = app.working_agent("Ben", json!({})).await;
    let account = app
        .patch_account(&manager, &json!({"return_after_seconds": 1}))
        .ok()
        .await;
    assert_eq!(account["return_after_seconds"], 1);

    let id = app.ingest(&inquiry("guest", "m1")).await.ticket_id;
    let given = ana.ws.expect("ticket.assigned").await;
    assert_eq!(given["ticket"]["id"], json!(id));
    // Ana does not open it: it is taken from her with the reason, and goes to Ben.
    let taken = ana.ws.expect("ticket.unassigned").await;
    assert_eq!(taken["reason"], "return_timer");
    assert_eq!(taken["ticket_id"], json!(id));
    let moved = ben.ws.expect("ticket.assigned").await;
    assert_eq!(moved["reason"], "return_timer");
    assert_eq!(moved["ticket"]["id"], json!(id));
    // Ben lets it lapse too: nobody else may take it, so it waits in the queue.
    let taken = ben.ws.expect("ticket.unassigned").await;
    assert_eq!(taken["reason"], "return_timer");
    ana.ws
        .expect_none("ticket.assigned", Duration::from_millis(2500))
        .await;
    let t = app.ticket_as_manager(&id).await;
    assert_eq!(t["state"], "queued");
    assert_eq!(t["assignee_id"], Value::Null);

    let report = app.agents_report(&manager, &[]).ok().await;
    for name in ["Ana", "Ben"] {
        let row = report["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["agent_name"] == name)
            .unwrap();
        assert_eq!(row["returned"], 1, "{name}: {row}");
        assert_eq!(row["reassigned_away_by_reason"]["return_timer"], 1);
    }
}

#[actix_web::test]
async fn opened_and_pinned_tickets_stay_and_null_turns_the_timer_off() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    let mut ben = app.working_agent("Ben", json!({})).await;
    let opened = app.ingest(&inquiry("first", "m1")).await.ticket_id;
    ana.ws.expect("ticket.assigned").await;
    let pinned = app.ingest(&inquiry("second", "m2")).await.ticket_id;
    ben.ws.expect("ticket.assigned").await;
    app.open(&ana, &opened).ok().await;
    app.assign(&manager, &pinned, &ana.user_id).ok().await;
    app.patch_account(&manager, &json!({"return_after_seconds": 1}))
        .ok()
        .await;
    ana.ws
        .expect_none("ticket.unassigned", Duration::from_millis(3000))
        .await;
    for id in [&opened, &pinned] {
        assert_eq!(
            app.ticket_as_manager(id).await["assignee_id"],
            json!(ana.user_id)
        );
    }

    let account = app
        .patch_account(&manager, &json!({"return_after_seconds": null}))
        .ok()
        .await;
    assert_eq!(account["return_after_seconds"], Value::Null);
    assert_eq!(
        assert_error(
            app.patch_account(&manager, &json!({"return_after_seconds": 0}))
                .await,
            400
        )
        .await,
        "invalid_input"
    );
    let fresh = app.ingest(&inquiry("third", "m3")).await.ticket_id;
    ben.ws.expect("ticket.assigned").await;
    ben.ws
        .expect_none("ticket.unassigned", Duration::from_millis(2500))
        .await;
    assert_eq!(
        app.ticket_as_manager(&fresh).await["assignee_id"],
        json!(ben.user_id)
    );
}

#[actix_web::test]
async fn a_stage_with_a_timer_of_its_own_returns_its_tickets_and_only_those() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let mut ana = app.working_agent("Ana", json!({})).await;
    let account = app
        .patch_account(
            &manager,
            &json!({"return_after_seconds_by_stage": {"pre_booking": 1}}),
        )
        .ok()
        .await;
    assert_eq!(
        account["return_after_seconds_by_stage"],
        json!({"pre_booking": 1})
    );
    assert_eq!(account["return_after_seconds"], Value::Null);

    let mut booked = inquiry("booked", "m1");
    booked["reservation"]["status"] = json!("confirmed");
    booked["reservation"]["check_in"] = json!("2099-01-10");
    booked["reservation"]["check_out"] = json!("2099-01-12");
    let kept = app.ingest(&booked).await.ticket_id;
    assert_eq!(
        ana.ws.expect("ticket.assigned").await["ticket"]["id"],
        json!(kept)
    );
    let returned = app.ingest(&inquiry("asking", "m2")).await.ticket_id;
    assert_eq!(
        ana.ws.expect("ticket.assigned").await["ticket"]["id"],
        json!(returned)
    );
    // Only the pre-booking ticket has a timer: it lapses (back to the queue, as nobody else
    // works), while Ana keeps the booked one however long she leaves it.
    let taken = ana.ws.expect("ticket.unassigned").await;
    assert_eq!(taken["reason"], "return_timer");
    assert_eq!(taken["ticket_id"], json!(returned));
    ana.ws
        .expect_none("ticket.unassigned", Duration::from_millis(2500))
        .await;
    assert_eq!(
        app.ticket_as_manager(&kept).await["assignee_id"],
        json!(ana.user_id)
    );
    assert_eq!(app.ticket_as_manager(&returned).await["state"], "queued");

    // A stage's timer is checked like the account's, and `{}` clears them.
    for (stages, code) in [
        (json!({"staying": 0}), "invalid_input"),
        (json!({"checkout": 60}), "invalid_json"),
    ] {
        let patch = json!({ "return_after_seconds_by_stage": stages });
        let refused = app.patch_account(&manager, &patch).await;
        assert_eq!(assert_error(refused, 400).await, code, "{patch}");
    }
    let account = app
        .patch_account(&manager, &json!({"return_after_seconds_by_stage": {}}))
        .ok()
        .await;
    assert_eq!(account["return_after_seconds_by_stage"], json!({}));
}
