//! Routing groups: managers define them; a ticket opened from a matching entry point (or
//! channel, language, listing group) goes only to the group's agents, overflows to another
//! group after its delay (reason `overflow`, in the event log), keeps its group across a
//! restart, and names it in alerts and on the wallboard; a pause or a timer stop that would
//! leave a group below its floor is refused (409 `coverage_floor`) unless a manager does it.

use crate::helpers::{assert_error, inquiry, spawn_app, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// An inquiry written to the desk's inbound address `entry_point`.
fn written_to(guest: &str, message_id: &str, entry_point: &str) -> Value {
    let mut m = inquiry(guest, message_id);
    m["entry_point"] = json!(entry_point);
    m
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// The reasons of the ticket's assignments in the event log, in order.
async fn assigned_reasons(app: &TestApp, ticket: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT reason FROM events WHERE ticket_id = $1 AND kind = 'ticket.assigned' ORDER BY id",
    )
    .bind(ticket.parse::<i64>().unwrap())
    .fetch_all(&app.pool)
    .await
    .unwrap()
}

#[actix_web::test]
async fn managers_create_change_and_delete_groups_and_bad_input_changes_nothing() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let partners = app
        .create_group(
            &manager,
            &json!({"name": "Partner hotels", "min_agents": 1}),
        )
        .ok()
        .await;
    let resorts = app
        .create_group(
            &manager,
            &json!({"name": " Resorts ", "rules": {"channels": ["Airbnb"], "languages": ["ES"],
                    "entry_points": [" +34 600 000 000 "]},
                    "overflow_group_id": partners["id"], "overflow_after_seconds": 120}),
        )
        .ok()
        .await;
    assert_eq!(resorts["name"], "Resorts");
    assert_eq!(
        resorts["rules"],
        json!({"channels": ["airbnb"], "listing_groups": [], "languages": ["es"],
               "entry_points": ["+34600000000"]})
    );
    assert_eq!(resorts["min_agents"], 0);
    assert_eq!(resorts["overflow_group_id"], partners["id"]);
    let (p, r) = (id_of(&partners), id_of(&resorts));
    let listed = app.groups(&manager).ok().await;
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Partner hotels", "Resorts"], "by id");

    for (body, code) in [
        (json!({"name": ""}), "invalid_input"),
        (json!({"name": "Partner hotels"}), "conflict"),
        (json!({"name": "X", "min_agents": -1}), "invalid_input"),
        (
            json!({"name": "X", "rules": {"languages": ["e1"]}}),
            "invalid_input",
        ),
        (
            json!({"name": "X", "overflow_group_id": p}),
            "invalid_input",
        ),
        (
            json!({"name": "X", "overflow_group_id": "999999", "overflow_after_seconds": 5}),
            "unknown_group",
        ),
        (json!({"name": "X", "colour": "red"}), "invalid_json"),
    ] {
        let status = if code == "conflict" { 409 } else { 400 };
        let got = assert_error(app.create_group(&manager, &body).await, status).await;
        assert_eq!(got, code, "{body}");
    }
    let refused = app
        .update_group(
            &manager,
            &r,
            &json!({"overflow_group_id": r, "overflow_after_seconds": 5}),
        )
        .await;
    assert_eq!(assert_error(refused, 400).await, "invalid_input");
    assert_eq!(
        app.groups(&manager).ok().await["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let changed = app
        .update_group(
            &manager,
            &r,
            &json!({"min_agents": 2, "overflow_group_id": null, "overflow_after_seconds": null}),
        )
        .ok()
        .await;
    assert_eq!(changed["min_agents"], 2);
    assert_eq!(changed["overflow_group_id"], Value::Null);
    assert_eq!(
        changed["rules"], resorts["rules"],
        "absent fields keep their value"
    );
    app.update_group(
        &manager,
        &r,
        &json!({"overflow_group_id": p, "overflow_after_seconds": 60}),
    )
    .ok()
    .await;

    // Agents: a card names existing groups only; a refused card changes nothing.
    let ana = app.agent("Ana", json!({"groups": [p]})).await;
    let view = app.agent_by_id(&manager, &ana.user_id).ok().await;
    assert_eq!(view["card"]["groups"], json!([p]));
    let refused = app
        .update_agent(
            &manager,
            &ana.user_id,
            &json!({"card": {"groups": [p, "424242"]}}),
        )
        .await;
    assert_eq!(assert_error(refused, 400).await, "unknown_group");
    let view = app.agent_by_id(&manager, &ana.user_id).ok().await;
    assert_eq!(view["card"]["groups"], json!([p]));
    assert_eq!(assert_error(app.groups(&ana).await, 403).await, "forbidden");

    // A group another overflows to stays until that one changes.
    let res = app.delete_group(&manager, &p).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "group_in_use");
    assert_eq!(body["error"]["overflow_from"], json!([r]));
    app.group(&manager, &p).ok().await;
    assert_eq!(app.delete_group(&manager, &r).await.status(), 204);
    assert_eq!(app.delete_group(&manager, &p).await.status(), 204);
    assert_eq!(
        assert_error(app.group(&manager, &p).await, 404).await,
        "not_found"
    );
    let view = app.agent_by_id(&manager, &ana.user_id).ok().await;
    assert_eq!(
        view["card"]["groups"],
        json!([]),
        "a deleted group leaves every card"
    );
}

#[actix_web::test]
async fn a_ticket_goes_only_to_its_group_and_the_wallboard_and_alerts_name_the_group() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let resorts = app
        .create_group(
            &manager,
            &json!({"name": "Resorts", "rules": {"entry_points": ["resorts@example.com"]}}),
        )
        .ok()
        .await;
    let g = id_of(&resorts);
    let mut ben = app.working_agent("Ben", json!({})).await;
    let mut ana = app.connected_agent("Ana", json!({"groups": [g]})).await;

    // Written to the resorts' address: Ben works, but only Ana (not working yet) may take it.
    let grouped = app
        .ingest(&written_to("zoe", "m1", "Resorts@Example.com"))
        .await
        .ticket_id;
    ben.ws
        .expect_none("ticket.assigned", Duration::from_millis(1500))
        .await;
    assert_eq!(app.ticket_as_manager(&grouped).await["state"], "queued");
    let board = app.wallboard(&manager).ok().await;
    assert_eq!(board["groups"][0]["id"], json!(g));
    assert_eq!(board["groups"][0]["queued"], 1);
    assert!(board["groups"][0]["oldest_queued_seconds"].is_i64());
    assert_eq!(board["groups"][0]["working"], 0);

    // A message to no group's address goes to anyone, as without groups.
    let plain = app.ingest(&inquiry("yan", "m2")).await.ticket_id;
    assert_eq!(
        ben.ws.expect("ticket.assigned").await["ticket"]["id"],
        json!(plain)
    );

    app.start_timer(&ana).ok().await;
    let given = ana.ws.expect("ticket.assigned").await;
    assert_eq!(given["ticket"]["id"], json!(grouped));
    assert_eq!(given["reason"], "new");
    let board = app.wallboard(&manager).ok().await;
    assert_eq!(board["groups"][0]["queued"], 0);
    assert_eq!(board["groups"][0]["working"], 1);

    // Alerts about the grouped ticket name its group; the others none.
    app.patch_account(&manager, &json!({"response_sla_seconds": 1}))
        .ok()
        .await;
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen = app.alerts(&manager, "all").ok().await["items"]
            .as_array()
            .unwrap()
            .clone();
        let kinds = |t: &str| {
            seen.iter()
                .filter(|a| a["ticket_id"] == json!(t) && a["kind"] == "sla_breach")
                .count()
        };
        if kinds(&grouped) == 1 && kinds(&plain) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for a in &seen {
        let expected = if a["ticket_id"] == json!(grouped) {
            json!(g)
        } else {
            Value::Null
        };
        assert_eq!(a["group_id"], expected, "{a}");
    }
    assert!(seen.iter().any(|a| a["group_id"] == json!(g)), "{seen:?}");
}

#[actix_web::test]
async fn a_queued_ticket_overflows_to_the_overflow_group_after_its_delay() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let partners = app
        .create_group(
            &manager,
            &json!({"name": "Partner hotels", "rules": {"entry_points": ["partners"]}}),
        )
        .ok()
        .await;
    let resorts = app
        .create_group(
            &manager,
            &json!({"name": "Resorts", "rules": {"entry_points": ["resorts"]},
                    "overflow_group_id": partners["id"], "overflow_after_seconds": 2}),
        )
        .ok()
        .await;
    let mut pia = app
        .working_agent("Pia", json!({"groups": [partners["id"]]}))
        .await;
    let id = app
        .ingest(&written_to("zoe", "m1", "resorts"))
        .await
        .ticket_id;
    // Nobody of the resorts works: it waits, then goes to the partner desk.
    pia.ws
        .expect_none("ticket.assigned", Duration::from_millis(1200))
        .await;
    let given = pia.ws.expect("ticket.assigned").await;
    assert_eq!(given["ticket"]["id"], json!(id));
    assert_eq!(given["reason"], "overflow");
    assert_eq!(assigned_reasons(&app, &id).await, ["overflow"]);
    let t = app.ticket_as_manager(&id).await;
    assert_eq!(t["assignee_id"], json!(pia.user_id));
    // The overflow goes one way: a partner ticket never reaches a resorts agent.
    let mut rio = app
        .working_agent("Rio", json!({"groups": [resorts["id"]]}))
        .await;
    app.pause_intake(&pia).ok().await;
    let partner = app
        .ingest(&written_to("yan", "m2", "partners"))
        .await
        .ticket_id;
    rio.ws
        .expect_none("ticket.assigned", Duration::from_millis(3000))
        .await;
    // Nobody takes it: Rio is not of its group, and Pia paused before it came (the pause is
    // on the dispatcher's board before its answer, not only after a reload of her record).
    let t = app.ticket_as_manager(&partner).await;
    assert_eq!(t["state"], "queued", "{t}");
}

#[actix_web::test]
async fn the_coverage_floor_refuses_a_pause_or_a_stop_and_a_manager_allows_it() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let line = app
        .create_group(&manager, &json!({"name": "Spanish line", "min_agents": 1}))
        .ok()
        .await;
    let g = id_of(&line);
    let ana = app.working_agent("Ana", json!({"groups": [g]})).await;
    let ben = app.working_agent("Ben", json!({"groups": [g]})).await;
    let cy = app.working_agent("Cy", json!({})).await;

    // Ben stays: Ana may pause. Then Ben is the last one working the line.
    app.pause_intake(&ana).ok().await;
    for res in [app.pause_intake(&ben).await, app.stop_timer(&ben).await] {
        assert_eq!(res.status(), 409);
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "coverage_floor");
        assert_eq!(body["error"]["group"]["group_id"], json!(g));
        assert_eq!(body["error"]["group"]["name"], "Spanish line");
        assert_eq!(body["error"]["group"]["min_agents"], 1);
        assert!(body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Spanish line"));
    }
    let me = app.agent_by_id(&manager, &ben.user_id).ok().await;
    assert_eq!(me["state"]["working"], true, "{me}");
    assert_eq!(me["state"]["intake_paused"], false, "{me}");
    // Someone in no group, and Ana already paused, leave freely.
    app.stop_timer(&cy).ok().await;
    app.stop_timer(&ana).ok().await;

    // A manager allows it.
    let paused = app.pause_intake_of(&manager, &ben.user_id).ok().await;
    assert_eq!(paused["state"]["intake_paused"], true);
    let stopped = app.stop_timer_of(&manager, &ben.user_id).ok().await;
    assert_eq!(stopped["state"]["working"], false);
    assert_eq!(
        assert_error(app.stop_timer_of(&ben, &ana.user_id).await, 403).await,
        "forbidden"
    );
    assert_eq!(
        assert_error(app.stop_timer_of(&manager, "987654").await, 404).await,
        "not_found"
    );
}

#[actix_web::test]
async fn a_restarted_server_keeps_the_groups_of_tickets_and_agents() {
    let app = spawn_app().await;
    let manager = app.manager().await;
    let resorts = app
        .create_group(
            &manager,
            &json!({"name": "Resorts", "rules": {"entry_points": ["resorts"]}}),
        )
        .ok()
        .await;
    let g = id_of(&resorts);
    let ana = app.agent("Ana", json!({"groups": [g]})).await;
    let ben = app.working_agent("Ben", json!({})).await;
    let grouped = app
        .ingest(&written_to("zoe", "m1", "resorts"))
        .await
        .ticket_id;

    // The server again, on the same database, as after a crash: its dispatcher rebuilds.
    let restarted = app.restart_in_place().await;
    let mut ben_again = restarted.ws(&ben).await;
    restarted.start_timer(&ben).ok().await;
    let second = restarted
        .ingest(&written_to("yan", "m2", "resorts"))
        .await
        .ticket_id;
    ben_again
        .expect_none("ticket.assigned", Duration::from_millis(1500))
        .await;
    let mut ana_ws = restarted.ws(&ana).await;
    restarted.start_timer(&ana).ok().await;
    let mut got = vec![
        ana_ws.expect("ticket.assigned").await["ticket"]["id"].clone(),
        ana_ws.expect("ticket.assigned").await["ticket"]["id"].clone(),
    ];
    got.sort_by_key(|v| v.as_str().unwrap().parse::<i64>().unwrap());
    assert_eq!(got, [json!(grouped), json!(second)]);
}
